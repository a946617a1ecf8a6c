//go:build amd64 && !purego

#include "textflag.h"

// Kernels of batchFFT for AVX2 + FMA. A batch element is 64 bytes: 8 float32
// real parts (one per frame) then 8 imaginary parts, so a butterfly is four
// 256-bit loads, four stores and a broadcast twiddle. See fft_kernels.go for
// the Go each routine mirrors.

// func stageAVX2(buf, tw *float32, n, h int)
TEXT ·stageAVX2(SB), NOSPLIT, $0-32
	MOVQ buf+0(FP), DI
	MOVQ tw+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ h+24(FP), DX
	MOVQ DX, R8
	SHLQ $6, R8                // h elements in bytes: distance a→b
	LEAQ (SI)(DX*8), R9        // twiddles of this stage: complex entry h
	SHLQ $6, CX
	LEAQ (DI)(CX*1), R10       // end of buffer

block:
	MOVQ DI, AX                // a
	LEAQ (DI)(R8*1), BX        // b
	MOVQ BX, R12               // end of the a half
	MOVQ R9, R11

inner:
	VMOVUPS      0(AX), Y0
	VMOVUPS      32(AX), Y1
	VMOVUPS      0(BX), Y2
	VMOVUPS      32(BX), Y3
	VBROADCASTSS 0(R11), Y4    // c
	VBROADCASTSS 4(R11), Y5    // s
	VADDPS       Y2, Y0, Y6
	VADDPS       Y3, Y1, Y7
	VSUBPS       Y2, Y0, Y0    // dr
	VSUBPS       Y3, Y1, Y1    // di
	VMOVUPS      Y6, 0(AX)
	VMOVUPS      Y7, 32(AX)
	VMULPS       Y5, Y1, Y2    // di·s
	VMULPS       Y4, Y1, Y3    // di·c
	VFMSUB231PS  Y4, Y0, Y2    // dr·c − di·s
	VFMADD231PS  Y5, Y0, Y3    // dr·s + di·c
	VMOVUPS      Y2, 0(BX)
	VMOVUPS      Y3, 32(BX)
	ADDQ         $64, AX
	ADDQ         $64, BX
	ADDQ         $8, R11
	CMPQ         AX, R12
	JB           inner

	MOVQ BX, DI
	CMPQ DI, R10
	JB   block
	VZEROUPPER
	RET

// func firstCU8AVX2(buf *float32, iq *byte, offs *[8]int32, win, tw *float32, n int)
//
// Two butterflies (j, j+n/2) and (j+1, j+1+n/2) per iteration: one 32-bit
// gather per half fetches I,Q of samples j and j+1 of all eight frames.
TEXT ·firstCU8AVX2(SB), NOSPLIT, $0-48
	MOVQ buf+0(FP), DI
	MOVQ iq+8(FP), SI
	MOVQ offs+16(FP), R8
	MOVQ win+24(FP), R9
	MOVQ tw+32(FP), R10
	MOVQ n+40(FP), CX

	VMOVDQU (R8), Y13          // byte offset of each frame
	MOVL    $0xff, AX
	VMOVD   AX, X15
	VPBROADCASTD X15, Y15      // byte mask
	MOVL    $0x42ff0000, AX    // 127.5
	VMOVD   AX, X14
	VBROADCASTSS X14, Y14

	MOVQ CX, DX
	SHRQ $1, DX                // h = n/2
	LEAQ (SI)(DX*2), R11       // iq of sample j+h
	MOVQ DX, BX
	SHLQ $6, BX
	ADDQ DI, BX                // element j+h
	LEAQ (R10)(DX*8), R10      // twiddles of span h
	LEAQ (R9)(DX*4), R13       // window at j+h
	SHRQ $1, DX                // iterations

loop:
	VPCMPEQD   Y12, Y12, Y12
	VPGATHERDD Y12, (SI)(Y13*1), Y0
	VPCMPEQD   Y12, Y12, Y12
	VPGATHERDD Y12, (R11)(Y13*1), Y1

	VBROADCASTSS 0(R9), Y10
	VBROADCASTSS 4(R9), Y11
	VPAND     Y15, Y0, Y2
	VPSRLD    $8, Y0, Y3
	VPAND     Y15, Y3, Y3
	VPSRLD    $16, Y0, Y4
	VPAND     Y15, Y4, Y4
	VPSRLD    $24, Y0, Y5
	VCVTDQ2PS Y2, Y2
	VCVTDQ2PS Y3, Y3
	VCVTDQ2PS Y4, Y4
	VCVTDQ2PS Y5, Y5
	VSUBPS    Y14, Y2, Y2
	VSUBPS    Y14, Y3, Y3
	VSUBPS    Y14, Y4, Y4
	VSUBPS    Y14, Y5, Y5
	VMULPS    Y10, Y2, Y2      // ar j
	VMULPS    Y10, Y3, Y3      // ai j
	VMULPS    Y11, Y4, Y4      // ar j+1
	VMULPS    Y11, Y5, Y5      // ai j+1

	VBROADCASTSS 0(R13), Y10
	VBROADCASTSS 4(R13), Y11
	VPAND     Y15, Y1, Y6
	VPSRLD    $8, Y1, Y7
	VPAND     Y15, Y7, Y7
	VPSRLD    $16, Y1, Y8
	VPAND     Y15, Y8, Y8
	VPSRLD    $24, Y1, Y9
	VCVTDQ2PS Y6, Y6
	VCVTDQ2PS Y7, Y7
	VCVTDQ2PS Y8, Y8
	VCVTDQ2PS Y9, Y9
	VSUBPS    Y14, Y6, Y6
	VSUBPS    Y14, Y7, Y7
	VSUBPS    Y14, Y8, Y8
	VSUBPS    Y14, Y9, Y9
	VMULPS    Y10, Y6, Y6      // br j+h
	VMULPS    Y10, Y7, Y7      // bi j+h
	VMULPS    Y11, Y8, Y8      // br j+1+h
	VMULPS    Y11, Y9, Y9      // bi j+1+h

	// Butterfly j.
	VADDPS       Y6, Y2, Y0
	VADDPS       Y7, Y3, Y1
	VMOVUPS      Y0, 0(DI)
	VMOVUPS      Y1, 32(DI)
	VSUBPS       Y6, Y2, Y2
	VSUBPS       Y7, Y3, Y3
	VBROADCASTSS 0(R10), Y10
	VBROADCASTSS 4(R10), Y11
	VMULPS       Y11, Y3, Y6
	VMULPS       Y10, Y3, Y7
	VFMSUB231PS  Y10, Y2, Y6
	VFMADD231PS  Y11, Y2, Y7
	VMOVUPS      Y6, 0(BX)
	VMOVUPS      Y7, 32(BX)

	// Butterfly j+1.
	VADDPS       Y8, Y4, Y0
	VADDPS       Y9, Y5, Y1
	VMOVUPS      Y0, 64(DI)
	VMOVUPS      Y1, 96(DI)
	VSUBPS       Y8, Y4, Y4
	VSUBPS       Y9, Y5, Y5
	VBROADCASTSS 8(R10), Y10
	VBROADCASTSS 12(R10), Y11
	VMULPS       Y11, Y5, Y8
	VMULPS       Y10, Y5, Y9
	VFMSUB231PS  Y10, Y4, Y8
	VFMADD231PS  Y11, Y4, Y9
	VMOVUPS      Y8, 64(BX)
	VMOVUPS      Y9, 96(BX)

	ADDQ $4, SI
	ADDQ $4, R11
	ADDQ $8, R9
	ADDQ $8, R13
	ADDQ $16, R10
	ADDQ $128, DI
	ADDQ $128, BX
	DECQ DX
	JNZ  loop
	VZEROUPPER
	RET

// func powerAVX2(buf, out *float32, n int, add bool)
TEXT ·powerAVX2(SB), NOSPLIT, $0-25
	MOVQ   buf+0(FP), DI
	MOVQ   out+8(FP), SI
	MOVQ   n+16(FP), CX
	MOVBLZX add+24(FP), AX
	SHRQ   $1, CX
	TESTQ  AX, AX
	JZ     store

accumulate:
	VMOVUPS     0(DI), Y0
	VMOVUPS     32(DI), Y1
	VMOVUPS     64(DI), Y2
	VMOVUPS     96(DI), Y3
	VADDPS      Y2, Y0, Y4
	VADDPS      Y3, Y1, Y5
	VSUBPS      Y2, Y0, Y6
	VSUBPS      Y3, Y1, Y7
	VMULPS      Y4, Y4, Y4
	VMULPS      Y6, Y6, Y6
	VFMADD231PS Y5, Y5, Y4
	VFMADD231PS Y7, Y7, Y6
	VADDPS      0(SI), Y4, Y4
	VADDPS      32(SI), Y6, Y6
	VMOVUPS     Y4, 0(SI)
	VMOVUPS     Y6, 32(SI)
	ADDQ        $128, DI
	ADDQ        $64, SI
	DECQ        CX
	JNZ         accumulate
	VZEROUPPER
	RET

store:
	VMOVUPS     0(DI), Y0
	VMOVUPS     32(DI), Y1
	VMOVUPS     64(DI), Y2
	VMOVUPS     96(DI), Y3
	VADDPS      Y2, Y0, Y4
	VADDPS      Y3, Y1, Y5
	VSUBPS      Y2, Y0, Y6
	VSUBPS      Y3, Y1, Y7
	VMULPS      Y4, Y4, Y4
	VMULPS      Y6, Y6, Y6
	VFMADD231PS Y5, Y5, Y4
	VFMADD231PS Y7, Y7, Y6
	VMOVUPS     Y4, 0(SI)
	VMOVUPS     Y6, 32(SI)
	ADDQ        $128, DI
	ADDQ        $64, SI
	DECQ        CX
	JNZ         store
	VZEROUPPER
	RET

// func loadComplexAVX2(buf *float32, x *complex64, offs *[8]int, win *float32, n int)
//
// Frame l is n complex64 from x at byte offset offs[l]. Each iteration reads
// 4 samples (32 bytes) of every frame, transposes the 8×8 float32 block with
// unpack/shuffle in 128-bit halves (rows l and l+4 share a register), and
// stores the windowed samples as 4 batch elements.
TEXT ·loadComplexAVX2(SB), NOSPLIT, $0-40
	MOVQ buf+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ offs+16(FP), AX
	MOVQ win+24(FP), DX
	MOVQ n+32(FP), CX
	MOVQ 0(AX), R8
	MOVQ 8(AX), R9
	MOVQ 16(AX), R10
	MOVQ 24(AX), R11
	MOVQ 32(AX), R12
	MOVQ 40(AX), R13
	MOVQ 48(AX), BX
	MOVQ 56(AX), AX
	SHRQ $2, CX

loadloop:
	// A_l: samples j, j+1 of frames l (low) and l+4 (high); B_l: j+2, j+3.
	VMOVUPS     (SI)(R8*1), X0
	VINSERTF128 $1, (SI)(R12*1), Y0, Y0
	VMOVUPS     (SI)(R9*1), X1
	VINSERTF128 $1, (SI)(R13*1), Y1, Y1
	VMOVUPS     (SI)(R10*1), X2
	VINSERTF128 $1, (SI)(BX*1), Y2, Y2
	VMOVUPS     (SI)(R11*1), X3
	VINSERTF128 $1, (SI)(AX*1), Y3, Y3
	VMOVUPS     16(SI)(R8*1), X4
	VINSERTF128 $1, 16(SI)(R12*1), Y4, Y4
	VMOVUPS     16(SI)(R9*1), X5
	VINSERTF128 $1, 16(SI)(R13*1), Y5, Y5
	VMOVUPS     16(SI)(R10*1), X6
	VINSERTF128 $1, 16(SI)(BX*1), Y6, Y6
	VMOVUPS     16(SI)(R11*1), X7
	VINSERTF128 $1, 16(SI)(AX*1), Y7, Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VSHUFPS   $0x44, Y10, Y8, Y0  // re j
	VSHUFPS   $0xEE, Y10, Y8, Y1  // im j
	VSHUFPS   $0x44, Y11, Y9, Y2  // re j+1
	VSHUFPS   $0xEE, Y11, Y9, Y3  // im j+1
	VUNPCKLPS Y5, Y4, Y8
	VUNPCKHPS Y5, Y4, Y9
	VUNPCKLPS Y7, Y6, Y10
	VUNPCKHPS Y7, Y6, Y11
	VSHUFPS   $0x44, Y10, Y8, Y4  // re j+2
	VSHUFPS   $0xEE, Y10, Y8, Y5  // im j+2
	VSHUFPS   $0x44, Y11, Y9, Y6  // re j+3
	VSHUFPS   $0xEE, Y11, Y9, Y7  // im j+3

	VBROADCASTSS 0(DX), Y12
	VBROADCASTSS 4(DX), Y13
	VBROADCASTSS 8(DX), Y14
	VBROADCASTSS 12(DX), Y15
	VMULPS       Y12, Y0, Y0
	VMULPS       Y12, Y1, Y1
	VMULPS       Y13, Y2, Y2
	VMULPS       Y13, Y3, Y3
	VMULPS       Y14, Y4, Y4
	VMULPS       Y14, Y5, Y5
	VMULPS       Y15, Y6, Y6
	VMULPS       Y15, Y7, Y7
	VMOVUPS      Y0, 0(DI)
	VMOVUPS      Y1, 32(DI)
	VMOVUPS      Y2, 64(DI)
	VMOVUPS      Y3, 96(DI)
	VMOVUPS      Y4, 128(DI)
	VMOVUPS      Y5, 160(DI)
	VMOVUPS      Y6, 192(DI)
	VMOVUPS      Y7, 224(DI)

	ADDQ $32, SI
	ADDQ $16, DX
	ADDQ $256, DI
	DECQ CX
	JNZ  loadloop
	VZEROUPPER
	RET

// func scatterRowsAVX2(rows *float32, pw *float32, col *int32, n int, scale float32)
//
// rows[l*n + col[p]] = pw[8p+l]·scale for the 8 lanes l of every position p:
// turns a batch of |X|² back into 8 grid rows.
TEXT ·scatterRowsAVX2(SB), NOSPLIT, $0-36
	MOVQ rows+0(FP), DI
	MOVQ pw+8(FP), SI
	MOVQ col+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS scale+32(FP), Y15
	MOVQ CX, R8
	SHLQ $2, R8                // row stride in bytes
	LEAQ (R8)(R8*2), R9        // 3 rows
	LEAQ (R8)(R8*4), R10       // 5 rows
	LEAQ (R9)(R8*4), R11       // 7 rows

scatterloop:
	MOVLQSX      0(DX), AX
	LEAQ         (DI)(AX*4), BX
	VMULPS       0(SI), Y15, Y0
	VEXTRACTF128 $1, Y0, X1
	VMOVSS       X0, 0(BX)
	VEXTRACTPS   $1, X0, (BX)(R8*1)
	VEXTRACTPS   $2, X0, (BX)(R8*2)
	VEXTRACTPS   $3, X0, (BX)(R9*1)
	VMOVSS       X1, (BX)(R8*4)
	VEXTRACTPS   $1, X1, (BX)(R10*1)
	VEXTRACTPS   $2, X1, (BX)(R9*2)
	VEXTRACTPS   $3, X1, (BX)(R11*1)
	ADDQ         $4, DX
	ADDQ         $32, SI
	DECQ         CX
	JNZ          scatterloop
	VZEROUPPER
	RET

// func stage2AVX2(buf, tw *float32, n, h int)
//
// Two radix-2 stages in one pass (spans h and h/2, h ≥ 2): each iteration
// loads the four elements j, j+h/2, j+h, j+3h/2 of a block, runs the four
// butterflies in registers and stores them, halving the memory traffic of
// stageAVX2.
TEXT ·stage2AVX2(SB), NOSPLIT, $0-32
	MOVQ buf+0(FP), DI
	MOVQ tw+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ h+24(FP), DX
	MOVQ DX, R8
	SHLQ $6, R8                // h in bytes
	MOVQ R8, R13
	SHRQ $1, R13               // h/2 in bytes
	LEAQ (SI)(DX*8), R9        // twiddles of span h (entry h)
	LEAQ (SI)(DX*4), R10       // twiddles of span h/2 (entry h/2)
	MOVQ DX, AX
	SHLQ $2, AX                // h/2 entries in bytes: offset of W_{2h}^{j+h/2}
	SHLQ $6, CX
	ADDQ DI, CX                // end of buffer

block2:
	MOVQ DI, BX                // element j
	LEAQ (DI)(R13*1), R12      // end of this block's first quarter
	MOVQ R9, R11
	MOVQ R10, SI

inner2:
	// x0 = [j], x1 = [j+h/2], x2 = [j+h], x3 = [j+3h/2]
	VMOVUPS 0(BX), Y0
	VMOVUPS 32(BX), Y1
	VMOVUPS (BX)(R8*1), Y4
	VMOVUPS 32(BX)(R8*1), Y5
	VMOVUPS (BX)(R13*1), Y2
	VMOVUPS 32(BX)(R13*1), Y3
	LEAQ    (BX)(R8*1), R14
	VMOVUPS (R14)(R13*1), Y6
	VMOVUPS 32(R14)(R13*1), Y7

	// Span h: (x0, x2) with W_{2h}^j, (x1, x3) with W_{2h}^{j+h/2}.
	VADDPS       Y4, Y0, Y8
	VADDPS       Y5, Y1, Y9
	VSUBPS       Y4, Y0, Y0
	VSUBPS       Y5, Y1, Y1
	VBROADCASTSS 0(R11), Y12
	VBROADCASTSS 4(R11), Y13
	VMULPS       Y13, Y1, Y4
	VMULPS       Y12, Y1, Y5
	VFMSUB231PS  Y12, Y0, Y4   // x2
	VFMADD231PS  Y13, Y0, Y5
	VADDPS       Y6, Y2, Y10
	VADDPS       Y7, Y3, Y11
	VSUBPS       Y6, Y2, Y2
	VSUBPS       Y7, Y3, Y3
	VBROADCASTSS (R11)(AX*1), Y12
	VBROADCASTSS 4(R11)(AX*1), Y13
	VMULPS       Y13, Y3, Y6
	VMULPS       Y12, Y3, Y7
	VFMSUB231PS  Y12, Y2, Y6   // x3
	VFMADD231PS  Y13, Y2, Y7
	// Now x0 = Y8,Y9  x1 = Y10,Y11  x2 = Y4,Y5  x3 = Y6,Y7.

	// Span h/2: (x0, x1) and (x2, x3), both with W_h^j.
	VBROADCASTSS 0(SI), Y12
	VBROADCASTSS 4(SI), Y13
	VADDPS       Y10, Y8, Y0
	VADDPS       Y11, Y9, Y1
	VSUBPS       Y10, Y8, Y8
	VSUBPS       Y11, Y9, Y9
	VMOVUPS      Y0, 0(BX)
	VMOVUPS      Y1, 32(BX)
	VMULPS       Y13, Y9, Y10
	VMULPS       Y12, Y9, Y11
	VFMSUB231PS  Y12, Y8, Y10
	VFMADD231PS  Y13, Y8, Y11
	VMOVUPS      Y10, (BX)(R13*1)
	VMOVUPS      Y11, 32(BX)(R13*1)
	VADDPS       Y6, Y4, Y0
	VADDPS       Y7, Y5, Y1
	VSUBPS       Y6, Y4, Y4
	VSUBPS       Y7, Y5, Y5
	VMOVUPS      Y0, (BX)(R8*1)
	VMOVUPS      Y1, 32(BX)(R8*1)
	VMULPS       Y13, Y5, Y6
	VMULPS       Y12, Y5, Y7
	VFMSUB231PS  Y12, Y4, Y6
	VFMADD231PS  Y13, Y4, Y7
	VMOVUPS      Y6, (R14)(R13*1)
	VMOVUPS      Y7, 32(R14)(R13*1)

	ADDQ $64, BX
	ADDQ $8, R11
	ADDQ $8, SI
	CMPQ BX, R12
	JB   inner2

	LEAQ (DI)(R8*2), DI        // next block of 2h
	CMPQ DI, CX
	JB   block2
	VZEROUPPER
	RET

// func convertCU8AVX2(dst *complex64, src *byte, n int)
//
// (b − 127.5) / 127.5 for 2n bytes, n a multiple of 8; the division keeps it
// bit-identical to the look-up table.
TEXT ·convertCU8AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVL $0x42ff0000, AX       // 127.5
	VMOVD AX, X15
	VBROADCASTSS X15, Y15
	SHRQ $3, CX

convloop:
	VPMOVZXBD 0(SI), Y0
	VPMOVZXBD 8(SI), Y1
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VSUBPS    Y15, Y0, Y0
	VSUBPS    Y15, Y1, Y1
	VDIVPS    Y15, Y0, Y0
	VDIVPS    Y15, Y1, Y1
	VMOVUPS   Y0, 0(DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      $16, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       convloop
	VZEROUPPER
	RET
