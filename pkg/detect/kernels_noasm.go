//go:build !amd64 || purego

package detect

// Without the assembly (other architectures, or the purego build tag) the
// pure-Go kernels do all the work; these stubs are never called because
// haveAVX2 is false.

func haveAVX2() bool { return false }

func accumulateUnderAVX2(p *float32, stride, frames int, thr *float32, sum *float64, cnt *int32, n int) {
	panic("detect: no AVX2 kernels in this build")
}

func normaliseAVX2(z, p *float32, stride, frames int, level *float32, n int) {
	panic("detect: no AVX2 kernels in this build")
}

func divideAVX2(z *float32, n int, c float32) { panic("detect: no AVX2 kernels in this build") }

func transpose8AVX2(zt, z *float32, stride, n int) { panic("detect: no AVX2 kernels in this build") }

func sumUnder8AVX2(zt *float32, keep *int32, cut *[8]float32, n int, sum *[8]float64, cnt *[8]int32) {
	panic("detect: no AVX2 kernels in this build")
}

func hotCellsAVX2(hot *int32, am, ap, bm, bp *float64, excl *bool, n int, inner float64, base int) int {
	panic("detect: no AVX2 kernels in this build")
}

func integrate4AVX2(cur *float64, w int, prev *float64, z *float32, nb int, keep *int32, n int, zClip float32, run *[4]float64) {
	panic("detect: no AVX2 kernels in this build")
}

func markSeedsAsm(hot *int32, nhot int, boxes *seedTest, nbox int, lo, hi int, lr *int32, seeds *int32, cell int, integ *float64) int {
	panic("detect: no AVX2 kernels in this build")
}

func sumUnder16AVX2(zt0, zt1 *float32, keep *int32, cut0, cut1 *[8]float32, n int, sum0, sum1 *[8]float64, cnt0, cnt1 *[8]int32) {
	panic("detect: no AVX2 kernels in this build")
}
