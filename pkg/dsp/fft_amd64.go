//go:build amd64 && !purego

package dsp

import "golang.org/x/sys/cpu"

// haveAVX2 reports whether this CPU runs the AVX2+FMA kernels in fft_amd64.s.
func haveAVX2() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// stageAVX2 is stageGo over n elements.
//
//go:noescape
func stageAVX2(buf, tw *float32, n, h int)

// firstCU8AVX2 is firstCU8Go for an FFT of size n.
//
//go:noescape
func firstCU8AVX2(buf *float32, iq *byte, offs *[lanes]int32, win, tw *float32, n int)

// powerAVX2 is powerGo over n elements.
//
//go:noescape
func powerAVX2(buf, out *float32, n int, add bool)

// loadComplexAVX2 is loadComplex for n samples (n a multiple of 4) with
// every frame present, offsets in bytes.
//
//go:noescape
func loadComplexAVX2(buf *float32, x *complex64, offs *[lanes]int, win *float32, n int)

// scatterRowsAVX2 writes rows[l*n+col[p]] = pw[lanes*p+l]·scale for all 8
// lanes.
//
//go:noescape
func scatterRowsAVX2(rows, pw *float32, col *int32, n int, scale float32)

// stage2AVX2 is stageGo(h) then stageGo(h/2) in one pass.
//
//go:noescape
func stage2AVX2(buf, tw *float32, n, h int)

// convertCU8AVX2 is the cu8 look-up of Converter.Convert for n samples, n a
// multiple of 8.
//
//go:noescape
func convertCU8AVX2(dst *complex64, src *byte, n int)
