//go:build amd64 && !purego

package detect

import "golang.org/x/sys/cpu"

// haveAVX2 reports whether this CPU runs the AVX2 kernels in
// kernels_amd64.s. Each kernel has a pure-Go twin (named in its comment)
// that stays the reference: the kernels keep every sum in the twin's order,
// so their results are bit for bit the same.
func haveAVX2() bool { return cpu.X86.HasAVX2 }

// accumulateUnderAVX2 is accumulateUnder4 over frames (a multiple of 4)
// rows of p, stride elements apart, for n ≥ 8 bins.
//
//go:noescape
func accumulateUnderAVX2(p *float32, stride, frames int, thr *float32, sum *float64, cnt *int32, n int)

// normaliseAVX2 is normalise over frames rows of p into z (both stride
// elements apart), for n ≥ 8 bins.
//
//go:noescape
func normaliseAVX2(z, p *float32, stride, frames int, level *float32, n int)

// divideAVX2 divides n values of z (a multiple of 8) by c.
//
//go:noescape
func divideAVX2(z *float32, n int, c float32)

// transpose8AVX2 writes zt[8k+f] = z[f·stride+k] for 8 frames and n bins
// (a multiple of 4): the layout sumUnder8AVX2 reads.
//
//go:noescape
func transpose8AVX2(zt, z *float32, stride, n int)

// sumUnder8AVX2 is sumUnder of eight frames transposed into zt, each with
// its own cut, over n bins; keep[k] is −1 for the bins to sum (not busy),
// 0 for the others.
//
//go:noescape
func sumUnder8AVX2(zt *float32, keep *int32, cut *[8]float32, n int, sum *[8]float64, cnt *[8]int32)

// hotCellsAVX2 is hotCells' loop away from the band's edges over n bins (a
// multiple of 4), writing the hot ones (base+i) to hot and returning their
// number; hot must have room for n.
//
//go:noescape
func hotCellsAVX2(hot *int32, am, ap, bm, bp *float64, excl *bool, n int, inner float64, base int) int

// integrate4AVX2 is integrateRow of four consecutive frames over n bins (a
// multiple of 4) of the band, from its first bin; cur points at the first
// of four integral rows w elements apart, keep is −1 for the bins summed
// and 0 for the excluded ones, and the frames' runs are left in run.
//
//go:noescape
func integrate4AVX2(cur *float64, w int, prev *float64, z *float32, nb int, keep *int32, n int, zClip float32, run *[4]float64)

// markSeedsAsm is mark's loop over one frame's hot bins (seedsAt on each)
// in assembly; seeds must have room for nhot. It returns the number of
// seeds written.
//
//go:noescape
func markSeedsAsm(hot *int32, nhot int, boxes *seedTest, nbox int, lo, hi int, lr *int32, seeds *int32, cell int, integ *float64) int

// sumUnder16AVX2 is sumUnder8AVX2 of two groups of eight frames, zt0 and
// zt1, with their cuts, over the same n bins.
//
//go:noescape
func sumUnder16AVX2(zt0, zt1 *float32, keep *int32, cut0, cut1 *[8]float32, n int, sum0, sum1 *[8]float64, cnt0, cnt1 *[8]int32)
