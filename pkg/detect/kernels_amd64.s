//go:build amd64 && !purego

#include "textflag.h"

// AVX2 kernels of the detector's per-cell passes. Each mirrors a Go
// function (named above it) and keeps its results bit for bit: sums are
// float64 lanes added in the Go loop's order, a value left out is added as
// +0.0 (which leaves any sum of non-negative values unchanged), and VDIVPS
// rounds like the scalar divide.

// func accumulateUnderAVX2(p *float32, stride, frames int, thr *float32, sum *float64, cnt *int32, n int)
//
// accumulateUnder4 with lanes across bins: for each group of four frames
// and each block of eight bins, the sums (two registers of four float64)
// and counts (eight int32) take the four frames in order.
TEXT ·accumulateUnderAVX2(SB), NOSPLIT, $0-56
	MOVQ p+0(FP), SI
	MOVQ stride+8(FP), R8
	SHLQ $2, R8                // row stride in bytes
	MOVQ frames+16(FP), CX
	MOVQ thr+24(FP), R9
	MOVQ sum+32(FP), R10
	MOVQ cnt+40(FP), R11
	MOVQ n+48(FP), DX

group:
	LEAQ (SI)(R8*1), BX        // row 1
	LEAQ (SI)(R8*2), DI        // row 2
	LEAQ (BX)(R8*2), R12       // row 3
	XORQ AX, AX                // bin

bins:
	VMOVUPS (R9)(AX*4), Y15    // thresholds
	VMOVUPD (R10)(AX*8), Y0    // sums of bins 0-3
	VMOVUPD 32(R10)(AX*8), Y1  // sums of bins 4-7
	VMOVDQU (R11)(AX*4), Y2    // counts

	VMOVUPS      (SI)(AX*4), Y3
	VCMPPS       $1, Y15, Y3, Y4 // v < thr
	VANDPS       Y4, Y3, Y3
	VPSUBD       Y4, Y2, Y2      // count -= -1
	VCVTPS2PD    X3, Y5
	VEXTRACTF128 $1, Y3, X3
	VCVTPS2PD    X3, Y3
	VADDPD       Y5, Y0, Y0
	VADDPD       Y3, Y1, Y1

	VMOVUPS      (BX)(AX*4), Y6
	VCMPPS       $1, Y15, Y6, Y7
	VANDPS       Y7, Y6, Y6
	VPSUBD       Y7, Y2, Y2
	VCVTPS2PD    X6, Y8
	VEXTRACTF128 $1, Y6, X6
	VCVTPS2PD    X6, Y6
	VADDPD       Y8, Y0, Y0
	VADDPD       Y6, Y1, Y1

	VMOVUPS      (DI)(AX*4), Y9
	VCMPPS       $1, Y15, Y9, Y10
	VANDPS       Y10, Y9, Y9
	VPSUBD       Y10, Y2, Y2
	VCVTPS2PD    X9, Y11
	VEXTRACTF128 $1, Y9, X9
	VCVTPS2PD    X9, Y9
	VADDPD       Y11, Y0, Y0
	VADDPD       Y9, Y1, Y1

	VMOVUPS      (R12)(AX*4), Y12
	VCMPPS       $1, Y15, Y12, Y13
	VANDPS       Y13, Y12, Y12
	VPSUBD       Y13, Y2, Y2
	VCVTPS2PD    X12, Y14
	VEXTRACTF128 $1, Y12, X12
	VCVTPS2PD    X12, Y12
	VADDPD       Y14, Y0, Y0
	VADDPD       Y12, Y1, Y1

	VMOVUPD Y0, (R10)(AX*8)
	VMOVUPD Y1, 32(R10)(AX*8)
	VMOVDQU Y2, (R11)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, DX
	JB      bins

	LEAQ (SI)(R8*4), SI
	SUBQ $4, CX
	JA   group
	VZEROUPPER
	RET

// func normaliseAVX2(z, p *float32, stride, frames int, level *float32, n int)
//
// normalise: z = p / level where level > 0, else +0 (the mask of the
// ordered level > 0 compare, like Go's, is false for NaN).
TEXT ·normaliseAVX2(SB), NOSPLIT, $0-48
	MOVQ z+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
	MOVQ frames+24(FP), CX
	MOVQ level+32(FP), R9
	MOVQ n+40(FP), DX
	VXORPS Y15, Y15, Y15

row:
	XORQ AX, AX

nbins:
	VMOVUPS (R9)(AX*4), Y0
	VCMPPS  $0x1e, Y15, Y0, Y1 // level > 0 (GT_OQ)
	VMOVUPS (SI)(AX*4), Y2
	VDIVPS  Y0, Y2, Y2         // p / level
	VANDPS  Y1, Y2, Y2
	VMOVUPS Y2, (DI)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, DX
	JB      nbins

	ADDQ R8, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  row
	VZEROUPPER
	RET

// func divideAVX2(z *float32, n int, c float32)
TEXT ·divideAVX2(SB), NOSPLIT, $0-20
	MOVQ         z+0(FP), DI
	MOVQ         n+8(FP), DX
	VBROADCASTSS c+16(FP), Y15
	XORQ         AX, AX

div:
	VMOVUPS (DI)(AX*4), Y0
	VDIVPS  Y15, Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, DX
	JB      div
	VZEROUPPER
	RET

// func transpose8AVX2(zt, z *float32, stride, n int)
//
// zt[8k+f] = z[f·stride+k] for eight frames f and n bins k (a multiple of
// 4): rows f and f+4 share a register (low and high half), and a 4×4
// transpose inside each half makes one register per bin of all 8 frames.
TEXT ·transpose8AVX2(SB), NOSPLIT, $0-32
	MOVQ zt+0(FP), DI
	MOVQ z+8(FP), SI
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
	MOVQ n+24(FP), CX
	LEAQ (SI)(R8*1), R10       // row 1
	LEAQ (SI)(R8*2), R12       // row 2
	LEAQ (R10)(R8*2), R13      // row 3
	LEAQ (SI)(R8*4), R9        // row 4
	LEAQ (R10)(R8*4), R11      // row 5
	LEAQ (R12)(R8*4), BX       // row 6
	LEAQ (R13)(R8*4), DX       // row 7
	XORQ AX, AX

tr:
	VMOVUPS     (SI)(AX*4), X0
	VINSERTF128 $1, (R9)(AX*4), Y0, Y0   // rows 0 | 4
	VMOVUPS     (R10)(AX*4), X1
	VINSERTF128 $1, (R11)(AX*4), Y1, Y1  // rows 1 | 5
	VMOVUPS     (R12)(AX*4), X2
	VINSERTF128 $1, (BX)(AX*4), Y2, Y2   // rows 2 | 6
	VMOVUPS     (R13)(AX*4), X3
	VINSERTF128 $1, (DX)(AX*4), Y3, Y3   // rows 3 | 7
	VUNPCKLPS   Y1, Y0, Y4               // r0k r1k r0k+1 r1k+1
	VUNPCKHPS   Y1, Y0, Y5               // r0k+2 r1k+2 r0k+3 r1k+3
	VUNPCKLPS   Y3, Y2, Y6
	VUNPCKHPS   Y3, Y2, Y7
	VSHUFPS     $0x44, Y6, Y4, Y8        // bin k
	VSHUFPS     $0xee, Y6, Y4, Y9        // bin k+1
	VSHUFPS     $0x44, Y7, Y5, Y10       // bin k+2
	VSHUFPS     $0xee, Y7, Y5, Y11       // bin k+3
	VMOVUPS     Y8, 0(DI)
	VMOVUPS     Y9, 32(DI)
	VMOVUPS     Y10, 64(DI)
	VMOVUPS     Y11, 96(DI)
	ADDQ        $128, DI
	ADDQ        $4, AX
	CMPQ        AX, CX
	JB          tr
	VZEROUPPER
	RET

// func sumUnder8AVX2(zt *float32, keep *int32, cut *[8]float32, n int, sum *[8]float64, cnt *[8]int32)
//
// sumUnder of eight frames at once, lanes across frames: zt holds n bins of
// eight frames (transpose8AVX2), keep is −1 for the bins to sum and 0 for
// the busy ones. Each frame's sum takes its bins in order, like sumUnder's.
TEXT ·sumUnder8AVX2(SB), NOSPLIT, $0-48
	MOVQ    zt+0(FP), SI
	MOVQ    keep+8(FP), R8
	MOVQ    cut+16(FP), R9
	MOVQ    n+24(FP), CX
	VMOVUPS (R9), Y15
	VXORPD  Y0, Y0, Y0         // sums of frames 0-3
	VXORPD  Y1, Y1, Y1         // sums of frames 4-7
	VPXOR   Y2, Y2, Y2         // counts
	XORQ    AX, AX
	TESTQ   CX, CX
	JZ      sdone

sbin:
	VMOVUPS      (SI), Y3
	VCMPPS       $1, Y15, Y3, Y4 // v < cut
	VBROADCASTSS (R8)(AX*4), Y5
	VANDPS       Y5, Y4, Y4      // and not busy
	VANDPS       Y4, Y3, Y3
	VPSUBD       Y4, Y2, Y2
	VCVTPS2PD    X3, Y6
	VEXTRACTF128 $1, Y3, X3
	VCVTPS2PD    X3, Y3
	VADDPD       Y6, Y0, Y0
	VADDPD       Y3, Y1, Y1
	ADDQ         $32, SI
	INCQ         AX
	CMPQ         AX, CX
	JB           sbin

sdone:
	MOVQ    sum+32(FP), DI
	MOVQ    cnt+40(FP), DX
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVDQU Y2, (DX)
	VZEROUPPER
	RET
