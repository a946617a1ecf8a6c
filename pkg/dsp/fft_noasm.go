//go:build !amd64 || purego

package dsp

// Without the assembly (other architectures, or the purego build tag) the
// pure-Go kernels do all the work; these stubs are never called because
// haveAVX2 is false.

func haveAVX2() bool { return false }

func stageAVX2(buf, tw *float32, n, h int) { panic("dsp: no AVX2 kernels in this build") }

func firstCU8AVX2(buf *float32, iq *byte, offs *[lanes]int32, win, tw *float32, n int) {
	panic("dsp: no AVX2 kernels in this build")
}

func powerAVX2(buf, out *float32, n int, add bool) { panic("dsp: no AVX2 kernels in this build") }

func loadComplexAVX2(buf *float32, x *complex64, offs *[lanes]int, win *float32, n int) {
	panic("dsp: no AVX2 kernels in this build")
}

func scatterRowsAVX2(rows, pw *float32, col *int32, n int, scale float32) {
	panic("dsp: no AVX2 kernels in this build")
}

func stage2AVX2(buf, tw *float32, n, h int) { panic("dsp: no AVX2 kernels in this build") }

func convertCU8AVX2(dst *complex64, src *byte, n int) { panic("dsp: no AVX2 kernels in this build") }
