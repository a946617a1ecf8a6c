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
// and counts (eight int32) take the four frames in order. n ≥ 8: when it
// is not a multiple of 8, the last block is bins n−8…n−1 with the lanes
// the block before already took masked off (they add +0 and count 0).
TEXT ·accumulateUnderAVX2(SB), NOSPLIT, $0-56
	MOVQ p+0(FP), SI
	MOVQ stride+8(FP), R8
	SHLQ $2, R8                // row stride in bytes
	MOVQ frames+16(FP), CX
	MOVQ thr+24(FP), R9
	MOVQ sum+32(FP), R10
	MOVQ cnt+40(FP), R11
	MOVQ n+48(FP), DX
	SUBQ $8, DX                // start of the last block
	LEAQ laneMask<>(SB), R13

group:
	LEAQ    (SI)(R8*1), BX     // row 1
	LEAQ    (SI)(R8*2), DI     // row 2
	LEAQ    (BX)(R8*2), R12    // row 3
	XORQ    AX, AX             // bin
	VMOVDQU 32(R13), Y14       // every lane
	LEAQ    (SI)(R8*4), R14    // the next group, prefetched 128 bytes a block

bins:
	CMPQ    AX, DX
	JLE     whole
	// The last, overlapping block: lanes j < AX−DX are done.
	SUBQ    DX, AX
	NEGQ    AX
	VMOVDQU 32(R13)(AX*4), Y14 // lane j on iff j ≥ AX−DX
	MOVQ    DX, AX

whole:
	PREFETCHT0 (R14)
	PREFETCHT0 64(R14)
	ADDQ       $128, R14
	VMOVUPS (R9)(AX*4), Y15    // thresholds
	VMOVUPD (R10)(AX*8), Y0    // sums of bins 0-3
	VMOVUPD 32(R10)(AX*8), Y1  // sums of bins 4-7
	VMOVDQU (R11)(AX*4), Y2    // counts

	VMOVUPS      (SI)(AX*4), Y3
	VCMPPS       $1, Y15, Y3, Y4 // v < thr
	VANDPS       Y14, Y4, Y4
	VANDPS       Y4, Y3, Y3
	VPSUBD       Y4, Y2, Y2      // count −= −1
	VCVTPS2PD    X3, Y5
	VEXTRACTF128 $1, Y3, X3
	VCVTPS2PD    X3, Y3
	VADDPD       Y5, Y0, Y0
	VADDPD       Y3, Y1, Y1

	VMOVUPS      (BX)(AX*4), Y6
	VCMPPS       $1, Y15, Y6, Y7
	VANDPS       Y14, Y7, Y7
	VANDPS       Y7, Y6, Y6
	VPSUBD       Y7, Y2, Y2
	VCVTPS2PD    X6, Y8
	VEXTRACTF128 $1, Y6, X6
	VCVTPS2PD    X6, Y6
	VADDPD       Y8, Y0, Y0
	VADDPD       Y6, Y1, Y1

	VMOVUPS      (DI)(AX*4), Y9
	VCMPPS       $1, Y15, Y9, Y10
	VANDPS       Y14, Y10, Y10
	VANDPS       Y10, Y9, Y9
	VPSUBD       Y10, Y2, Y2
	VCVTPS2PD    X9, Y11
	VEXTRACTF128 $1, Y9, X9
	VCVTPS2PD    X9, Y9
	VADDPD       Y11, Y0, Y0
	VADDPD       Y9, Y1, Y1

	VMOVUPS      (R12)(AX*4), Y3
	VCMPPS       $1, Y15, Y3, Y4
	VANDPS       Y14, Y4, Y4
	VANDPS       Y4, Y3, Y3
	VPSUBD       Y4, Y2, Y2
	VCVTPS2PD    X3, Y5
	VEXTRACTF128 $1, Y3, X3
	VCVTPS2PD    X3, Y3
	VADDPD       Y5, Y0, Y0
	VADDPD       Y3, Y1, Y1

	VMOVUPD Y0, (R10)(AX*8)
	VMOVUPD Y1, 32(R10)(AX*8)
	VMOVDQU Y2, (R11)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, n+48(FP)
	JB      bins

	LEAQ (SI)(R8*4), SI
	SUBQ $4, CX
	JA   group
	VZEROUPPER
	RET

// laneMask: eight 0 then eight −1 (int32); 8 of them from 32−4j bytes on
// turn on lanes j… 7.
DATA laneMask<>+0(SB)/8, $0
DATA laneMask<>+8(SB)/8, $0
DATA laneMask<>+16(SB)/8, $0
DATA laneMask<>+24(SB)/8, $0
DATA laneMask<>+32(SB)/8, $-1
DATA laneMask<>+40(SB)/8, $-1
DATA laneMask<>+48(SB)/8, $-1
DATA laneMask<>+56(SB)/8, $-1
GLOBL laneMask<>(SB), RODATA|NOPTR, $64

// func normaliseAVX2(z, p *float32, stride, frames int, level *float32, n int)
//
// normalise: z = p / level where level > 0, else +0 (the mask of the
// ordered level > 0 compare, like Go's, is false for NaN). n ≥ 8: when it
// is not a multiple of 8, the last block is bins n−8…n−1, overlapping the
// one before (writing the same values again).
TEXT ·normaliseAVX2(SB), NOSPLIT, $0-48
	MOVQ z+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
	MOVQ frames+24(FP), CX
	MOVQ level+32(FP), R9
	MOVQ n+40(FP), DX
	SUBQ $8, DX                // start of the last block
	VXORPS Y15, Y15, Y15

row:
	XORQ AX, AX

nbins:
	CMPQ    AX, DX
	CMOVQGT DX, AX             // the last block ends at n
	VMOVUPS (R9)(AX*4), Y0
	VCMPPS  $0x1e, Y15, Y0, Y1 // level > 0 (GT_OQ)
	VMOVUPS (SI)(AX*4), Y2
	VDIVPS  Y0, Y2, Y2         // p / level
	VANDPS  Y1, Y2, Y2
	VMOVUPS Y2, (DI)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, DX
	JLE     nbins
	CMPQ    AX, n+40(FP)
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

// func hotCellsAVX2(hot *int32, am, ap, bm, bp *float64, excl *bool, n int, inner float64, base int) int
//
// hotCells' inner loop, four bins a time (n a multiple of 4): the box sum
// bp−bm−ap+am in the Go expression's order, compared with inner, excluded
// bins masked off; the hot bins (base+i) are written to hot in order and
// their number returned. The 4-bit masks of 16 blocks are gathered in a
// 64-bit word (no branch per block: a hot bin is common in a busy band)
// whose set bits are then written out; the stores' addresses do not wait
// on the compares, so the loads of the next blocks do not wait on them.
TEXT ·hotCellsAVX2(SB), NOSPLIT, $0-80
	MOVQ         hot+0(FP), DI
	MOVQ         am+8(FP), R8
	MOVQ         ap+16(FP), R9
	MOVQ         bm+24(FP), R10
	MOVQ         bp+32(FP), R11
	MOVQ         excl+40(FP), R12
	VBROADCASTSD inner+56(FP), Y15
	VPXOR        Y14, Y14, Y14
	XORQ         AX, AX        // i
	XORQ         DX, DX        // hot bins written
	XORQ         BX, BX        // first bin of the word
	XORQ         R13, R13      // the word: bit j for bin BX+j

hloop:
	VMOVUPD   (R11)(AX*8), Y0
	VSUBPD    (R10)(AX*8), Y0, Y0 // bp − bm
	VSUBPD    (R9)(AX*8), Y0, Y0  // − ap
	VADDPD    (R8)(AX*8), Y0, Y0  // + am
	VCMPPD    $0x1e, Y15, Y0, Y1  // > inner (GT_OQ)
	VPMOVZXBQ (R12)(AX*1), Y2
	VPCMPEQQ  Y14, Y2, Y2         // not excluded
	VANDPD    Y2, Y1, Y1
	VMOVMSKPD Y1, SI
	SHRQ      $4, R13
	SHLQ      $60, SI
	ORQ       SI, R13             // this block's bits on top
	ADDQ      $4, AX
	LEAQ      64(BX), SI
	CMPQ      AX, SI
	JAE       flush
	CMPQ      AX, n+48(FP)
	JB        hloop

flush:
	LEAQ 64(BX), CX
	SUBQ AX, CX
	SHRQ CX, R13               // block 0 of the word to bit 0

bits:
	TESTQ R13, R13
	JZ    flushed
	BSFQ  R13, SI
	ADDQ  BX, SI
	ADDQ  base+64(FP), SI
	MOVL  SI, (DI)(DX*4)
	INCQ  DX
	LEAQ  -1(R13), SI
	ANDQ  SI, R13              // clear the lowest set bit
	JMP   bits

flushed:
	MOVQ AX, BX
	CMPQ AX, n+48(FP)
	JB   hloop
	MOVQ DX, ret+72(FP)
	VZEROUPPER
	RET

// func integrate4AVX2(cur *float64, w int, prev *float64, z *float32, nb int, keep *int32, n int, zClip float32, run *[4]float64)
//
// integrateRow of four consecutive frames over n bins (a multiple of 4):
// cur holds the four integral rows (w elements apart), prev the row
// before them, z the four frames (nb apart), keep −1 for the bins summed
// and 0 for the excluded ones (which add 1). Lanes are the frames: each
// frame's run takes its bins in order, as in Go, and each row is the row
// before it plus its run. The four runs are left in run.
TEXT ·integrate4AVX2(SB), NOSPLIT, $0-72
	MOVQ         cur+0(FP), DI
	MOVQ         w+8(FP), R8
	SHLQ         $3, R8              // integral row stride in bytes
	MOVQ         prev+16(FP), SI
	MOVQ         z+24(FP), R9
	MOVQ         nb+32(FP), DX
	SHLQ         $2, DX              // frame stride in bytes
	MOVQ         keep+40(FP), R13
	MOVQ         n+48(FP), CX
	VBROADCASTSS zClip+56(FP), X15
	MOVL         $0x3f800000, AX     // 1.0
	VMOVD        AX, X14
	VBROADCASTSS X14, X14
	LEAQ         (DI)(R8*1), BX      // integral row 1 (rows 2, 3: DI+2·R8, BX+2·R8)
	LEAQ         (R9)(DX*1), R10     // frame 1 (frames 2, 3: R9+2·DX, R10+2·DX)
	VXORPD       Y12, Y12, Y12       // the runs, lanes = frames
	SHRQ         $2, CX
	LEAQ         (R9)(DX*4), R11     // the next four frames, prefetched 64 bytes a block

ibins:
	PREFETCHT0 (R11)
	ADDQ       $64, R11
	VMOVUPS   (R13), X13
	VMOVUPS   (R9), X0
	VMOVUPS   (R10), X1
	VMOVUPS   (R9)(DX*2), X2
	VMOVUPS   (R10)(DX*2), X3
	VMINPS    X0, X15, X0        // min(v, zClip), v if NaN like Go's min
	VMINPS    X1, X15, X1
	VMINPS    X2, X15, X2
	VMINPS    X3, X15, X3
	VBLENDVPS X13, X0, X14, X0   // excluded bins read 1
	VBLENDVPS X13, X1, X14, X1
	VBLENDVPS X13, X2, X14, X2
	VBLENDVPS X13, X3, X14, X3

	// 4×4 transpose: one register per bin, lanes = frames.
	VUNPCKLPS X1, X0, X4
	VUNPCKHPS X1, X0, X5
	VUNPCKLPS X3, X2, X6
	VUNPCKHPS X3, X2, X7
	VSHUFPS   $0x44, X6, X4, X0
	VSHUFPS   $0xee, X6, X4, X1
	VSHUFPS   $0x44, X7, X5, X2
	VSHUFPS   $0xee, X7, X5, X3
	VCVTPS2PD X0, Y0
	VCVTPS2PD X1, Y1
	VCVTPS2PD X2, Y2
	VCVTPS2PD X3, Y3
	VADDPD    Y0, Y12, Y8        // run after bin k
	VADDPD    Y1, Y8, Y9
	VADDPD    Y2, Y9, Y10
	VADDPD    Y3, Y10, Y12

	// Back to one register per frame, lanes = bins.
	VUNPCKLPD  Y9, Y8, Y4        // f0: k, k+1 | f2: k, k+1
	VUNPCKHPD  Y9, Y8, Y5        // f1 | f3
	VUNPCKLPD  Y12, Y10, Y6      // f0: k+2, k+3 | f2
	VUNPCKHPD  Y12, Y10, Y7      // f1 | f3
	VPERM2F128 $0x20, Y6, Y4, Y0 // frame 0's runs at bins k…k+3
	VPERM2F128 $0x20, Y7, Y5, Y1
	VPERM2F128 $0x31, Y6, Y4, Y2
	VPERM2F128 $0x31, Y7, Y5, Y3

	VMOVUPD (SI), Y11
	VADDPD  Y0, Y11, Y0
	VMOVUPD Y0, (DI)
	VADDPD  Y1, Y0, Y1
	VMOVUPD Y1, (BX)
	VADDPD  Y2, Y1, Y2
	VMOVUPD Y2, (DI)(R8*2)
	VADDPD  Y3, Y2, Y3
	VMOVUPD Y3, (BX)(R8*2)

	ADDQ $32, DI
	ADDQ $32, BX
	ADDQ $32, SI
	ADDQ $16, R9
	ADDQ $16, R10
	ADDQ $16, R13
	DECQ CX
	JNZ  ibins

	MOVQ    run+64(FP), AX
	VMOVUPD Y12, (AX)
	VZEROUPPER
	RET

// func markSeedsAsm(hot *int32, nhot int, boxes *seedTest, nbox int, lo, hi int, lr *int32, seeds *int32, cell int, integ *float64) int
//
// The seed tests of one frame's hot bins (nhot > 0, in increasing order),
// as Process's mark does them with seedsAt: lr[k] = −1 for each hot bin k,
// −2 when one of the boxes centred on k and inside the band sums over its
// threshold ((b[k0+fw]−a[k0+fw])−(b[k0]−a[k0]), in that order; a and b are
// rows of integ), and cell+k appended to seeds for those, in order.
// Returns the number of seeds written. Box by box: the bins a box may be
// centred on, kmin…kmax, are a run of the sorted hot bins, so the inner
// loop has no range tests to mispredict.
TEXT ·markSeedsAsm(SB), NOSPLIT, $0-88
	MOVQ  hot+0(FP), SI
	MOVQ  nhot+8(FP), CX
	LEAQ  (SI)(CX*4), CX       // end of hot
	MOVQ  nbox+24(FP), R9
	IMULQ $56, R9
	ADDQ  boxes+16(FP), R9     // end of boxes
	MOVQ  lr+48(FP), DI

mhot:
	MOVLQSX (SI), R10
	MOVL    $-1, (DI)(R10*4)
	ADDQ    $4, SI
	CMPQ    SI, CX
	JB      mhot

	MOVQ boxes+16(FP), BX

mbox:
	CMPQ  BX, R9
	JAE   mcollect
	MOVQ  integ+72(FP), R13
	MOVQ  16(BX), R12          // ck
	MOVQ  24(BX), DX           // fw
	MOVQ  0(BX), AX
	SUBQ  R12, AX
	LEAQ  (R13)(AX*8), AX      // a − ck: a[k0] = AX[k]
	LEAQ  (AX)(DX*8), R10      // a[k0+fw] = R10[k]
	MOVQ  8(BX), R8
	SUBQ  R12, R8
	LEAQ  (R13)(R8*8), R8      // b − ck
	LEAQ  (R8)(DX*8), R11      // b[k0+fw] = R11[k]
	MOVSD 32(BX), X3           // thr
	MOVQ  hot+0(FP), SI

mcells:
	CMPQ    SI, CX
	JAE     mnextbox
	MOVLQSX (SI), R12          // k
	CMPQ    R12, 40(BX)
	JLT     mskip              // k < kmin
	CMPQ    R12, 48(BX)
	JGT     mnextbox           // k > kmax, and so are the rest
	MOVSD   (R11)(R12*8), X0
	SUBSD   (R10)(R12*8), X0   // b[k0+fw] − a[k0+fw]
	MOVSD   (R8)(R12*8), X1
	SUBSD   (AX)(R12*8), X1    // b[k0] − a[k0]
	SUBSD   X1, X0
	UCOMISD X3, X0             // > thr: false for NaN
	JA      mpass

mskip:
	ADDQ $4, SI
	JMP  mcells

mpass:
	MOVL $-2, (DI)(R12*4)
	JMP  mskip

mnextbox:
	ADDQ $56, BX
	JMP  mbox

mcollect:
	XORQ DX, DX
	MOVQ seeds+56(FP), R12
	MOVQ hot+0(FP), SI

mseeds:
	MOVLQSX (SI), R10
	CMPL    (DI)(R10*4), $-2
	JNE     mnot
	MOVQ    R10, R11
	ADDQ    cell+64(FP), R11
	MOVL    R11, (R12)(DX*4)
	INCQ    DX

mnot:
	ADDQ $4, SI
	CMPQ SI, CX
	JB   mseeds
	MOVQ DX, ret+80(FP)
	RET

// func sumUnder16AVX2(zt0, zt1 *float32, keep *int32, cut0, cut1 *[8]float32, n int, sum0, sum1 *[8]float64, cnt0, cnt1 *[8]int32)
//
// sumUnder8AVX2 of two groups of eight frames in one loop: four float64
// chains instead of two, which halves the time the adds' latency bounds.
TEXT ·sumUnder16AVX2(SB), NOSPLIT, $0-80
	MOVQ    zt0+0(FP), SI
	MOVQ    zt1+8(FP), DI
	MOVQ    keep+16(FP), R8
	MOVQ    cut0+24(FP), R9
	VMOVUPS (R9), Y15
	MOVQ    cut1+32(FP), R9
	VMOVUPS (R9), Y14
	MOVQ    n+40(FP), CX
	VXORPD  Y0, Y0, Y0         // group 0: sums of frames 0-3
	VXORPD  Y1, Y1, Y1         // frames 4-7
	VPXOR   Y2, Y2, Y2         // counts
	VXORPD  Y8, Y8, Y8         // group 1
	VXORPD  Y9, Y9, Y9
	VPXOR   Y10, Y10, Y10
	XORQ    AX, AX
	TESTQ   CX, CX
	JZ      s16done

s16bin:
	VBROADCASTSS (R8)(AX*4), Y5
	VMOVUPS      (SI), Y3
	VCMPPS       $1, Y15, Y3, Y4 // v < cut
	VANDPS       Y5, Y4, Y4      // and not busy
	VANDPS       Y4, Y3, Y3
	VPSUBD       Y4, Y2, Y2
	VCVTPS2PD    X3, Y6
	VEXTRACTF128 $1, Y3, X3
	VCVTPS2PD    X3, Y3
	VADDPD       Y6, Y0, Y0
	VADDPD       Y3, Y1, Y1
	VMOVUPS      (DI), Y11
	VCMPPS       $1, Y14, Y11, Y12
	VANDPS       Y5, Y12, Y12
	VANDPS       Y12, Y11, Y11
	VPSUBD       Y12, Y10, Y10
	VCVTPS2PD    X11, Y13
	VEXTRACTF128 $1, Y11, X11
	VCVTPS2PD    X11, Y11
	VADDPD       Y13, Y8, Y8
	VADDPD       Y11, Y9, Y9
	ADDQ         $32, SI
	ADDQ         $32, DI
	INCQ         AX
	CMPQ         AX, CX
	JB           s16bin

s16done:
	MOVQ    sum0+48(FP), DI
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	MOVQ    sum1+56(FP), DI
	VMOVUPD Y8, (DI)
	VMOVUPD Y9, 32(DI)
	MOVQ    cnt0+64(FP), DX
	VMOVDQU Y2, (DX)
	MOVQ    cnt1+72(FP), DX
	VMOVDQU Y10, (DX)
	VZEROUPPER
	RET
