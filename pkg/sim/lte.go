package sim

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"

	"gonum.org/v1/gonum/dsp/fourier"
)

// grid synthesises OFDM symbols whose tones sit on a spacing (15 kHz for
// SC-FDMA, 1.25 kHz for PRACH) directly at the simulator's sample rate: an
// L-point IFFT with bins fs/L such that the spacing is p bins. Any carrier
// offset from the tuned centre that is not a whole bin is applied as a
// residual rotation, and the sub-sample timing of each symbol as a phase
// ramp across tones, so symbols land exactly where LTE puts them.
type grid struct {
	fs      float64
	spacing float64 // Hz between tones
	L, p    int
	b       float64 // Hz per bin
	fft     *fourier.CmplxFFT
	buf     []complex128
}

func newGrid(fs, spacing float64) (*grid, error) {
	for p := 1; p <= 64; p++ {
		l := float64(p) * fs / spacing
		if L := math.Round(l); math.Abs(l-L) < 1e-6 && L <= 1<<15 {
			g := &grid{fs: fs, spacing: spacing, L: int(L), p: p, b: fs / L}
			g.fft = fourier.NewCmplxFFT(g.L)
			g.buf = make([]complex128, g.L)
			return g, nil
		}
	}
	return nil, fmt.Errorf("sim: sample rate %g Hz is not a rational multiple of %g Hz the LTE synthesis can use", fs, spacing)
}

// symbol adds one OFDM symbol to seg (first sample = absolute sample segN0),
// over absolute samples [nA, nB). tuAbs is the start of the symbol's useful
// part (s; samples before it are its cyclic prefix), dc the carrier offset
// from the tuned centre, off0 the frequency of tones[0] relative to the
// carrier; tone k is at dc + off0 + k·spacing. Tones outside the tuned span
// are left out.
func (g *grid) symbol(seg []complex128, segN0, nA, nB int64, tuAbs, dc, off0 float64, tones []complex128, amp float64) {
	f0 := dc + off0
	j0 := math.Round(f0 / g.b)
	r := f0 - j0*g.b
	nu := int64(math.Round(tuAbs * g.fs))
	delta := float64(nu)/g.fs - tuAbs
	cyc := dc * tuAbs
	rot := cmplx.Exp(complex(0, 2*math.Pi*(cyc-math.Floor(cyc)+j0*g.b*delta)))
	step := cmplx.Exp(complex(0, 2*math.Pi*float64(g.p)*g.b*delta))
	half := g.fs/2 - g.b/2
	clear(g.buf)
	visible := false
	for k, x := range tones {
		j := int(j0) + k*g.p
		if f := r + float64(j)*g.b; f > -half && f < half {
			g.buf[mod(j, g.L)] += x * rot
			visible = true
		}
		rot *= step
	}
	if !visible {
		return
	}
	g.fft.Sequence(g.buf, g.buf)
	ph := cmplx.Exp(complex(0, 2*math.Pi*r*(float64(nA-nu)/g.fs+delta)))
	rstep := cmplx.Exp(complex(0, 2*math.Pi*r/g.fs))
	a := complex(amp, 0)
	for n := nA; n < nB; n++ {
		seg[n-segN0] += a * ph * g.buf[mod64(n-nu, g.L)]
		ph *= rstep
	}
}

func mod(j, L int) int {
	j %= L
	if j < 0 {
		j += L
	}
	return j
}

func mod64(j int64, L int) int {
	return mod(int(j%int64(L)), L)
}

// LTE symbol layout in a slot, in Ts (normal CP): CP 160 then 144, useful 2048.
func lteSymbol(l int) (start, cp int) {
	if l == 0 {
		return 0, 160
	}
	return 2208 + (l-1)*2192, 144
}

// lteSynth holds what SC-FDMA synthesis reuses between symbols.
type lteSynth struct {
	grid, prach *grid
	dft         map[int]*fourier.CmplxFFT
	zc839       *fourier.CmplxFFT
	tones       []complex128
}

func (ls *lteSynth) dftOf(m int) *fourier.CmplxFFT {
	if t, ok := ls.dft[m]; ok {
		return t
	}
	t := fourier.NewCmplxFFT(m)
	ls.dft[m] = t
	return t
}

func (ls *lteSynth) qpsk(r *rand.Rand, n int) []complex128 {
	const h = math.Sqrt2 / 2
	t := ls.tones[:n]
	var bits uint64
	for i := range t {
		if i%32 == 0 {
			bits = r.Uint64()
		}
		re, im := h, h
		if bits&1 != 0 {
			re = -h
		}
		if bits&2 != 0 {
			im = -h
		}
		bits >>= 2
		t[i] = complex(re, im)
	}
	return t
}

// zadoffChu fills n tones with a length-N_ZC (largest prime ≤ n) root-q
// Zadoff-Chu sequence, cyclically extended: the DMRS base sequence.
func (ls *lteSynth) zadoffChu(r *rand.Rand, n int) []complex128 {
	nzc := n
	for !isPrime(nzc) {
		nzc--
	}
	q := 1 + r.IntN(nzc-1)
	t := ls.tones[:n]
	for m := range t {
		k := m % nzc
		t[m] = cmplx.Exp(complex(0, -math.Pi*float64(q*k*(k+1)%(2*nzc))/float64(nzc)))
	}
	return t
}

func isPrime(n int) bool {
	if n < 2 {
		return false
	}
	for d := 2; d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}

// renderRB adds a PUSCH subframe or PUCCH slot to seg. dc is the carrier
// offset from the tuned centre, nRBc the carrier's RBs, amp the amplitude
// (√ of the transmission's power relative to full scale).
func (ls *lteSynth) renderRB(seg []complex128, segN0 int64, t *tx, dc float64, nRBc int, amp float64, r *rand.Rand) {
	fs := ls.grid.fs
	m := 12 * t.nRB
	off0 := (float64(12*t.rb-6*nRBc) + 0.5) * 15e3
	slots := 2
	if t.kind == kPUCCH {
		slots = 1
	}
	amp /= math.Sqrt(float64(m))
	segN1 := segN0 + int64(len(seg))
	for s := range slots {
		slot0 := t.start.Seconds() + float64(s)*lteSlot.Seconds()
		for l := range 7 {
			st, cp := lteSymbol(l)
			symStart := slot0 + float64(st)*lteTs
			tu := symStart + float64(cp)*lteTs
			nA := max(int64(math.Ceil(symStart*fs)), segN0)
			nB := min(int64(math.Ceil((tu+2048*lteTs)*fs)), segN1)
			var tones []complex128
			switch {
			case t.kind == kPUCCH:
				tones = ls.qpsk(r, m)
			case l == 3:
				tones = ls.zadoffChu(r, m)
			default:
				tones = ls.qpsk(r, m)
				ls.dftOf(m).Coefficients(tones, tones)
				for i := range tones {
					tones[i] *= complex(1/math.Sqrt(float64(m)), 0)
				}
			}
			ls.grid.symbol(seg, segN0, nA, nB, tu, dc, off0, tones, amp)
		}
	}
}

// renderPRACH adds a format-0 preamble (36.211 §5.7): root-u Zadoff-Chu of
// length 839 with cyclic shift, on 1.25 kHz tones k = 0…838 at
// (k + φ + K·(k0 + ½))·1.25 kHz from the carrier centre, φ = 7, K = 12.
func (ls *lteSynth) renderPRACH(seg []complex128, segN0 int64, t *tx, dc float64, nRBc int, amp float64, r *rand.Rand) {
	const nzc = 839
	u := 1 + r.IntN(nzc-1)
	cv := 13 * r.IntN(nzc/13) // N_CS = 13
	x := ls.tones[:nzc]
	for n := range x {
		k := int64((n + cv) % nzc)
		x[n] = cmplx.Exp(complex(0, -math.Pi*float64(int64(u)*k*(k+1)%(2*nzc))/nzc))
	}
	if ls.zc839 == nil {
		ls.zc839 = fourier.NewCmplxFFT(nzc)
	}
	ls.zc839.Coefficients(x, x)
	for i := range x {
		x[i] *= complex(1/math.Sqrt(nzc), 0)
	}
	k0 := float64(12*t.rb - 6*nRBc)
	off0 := 7*1250 + 12*1250*(k0+0.5)
	fs := ls.prach.fs
	start := t.start.Seconds()
	tu := start + prachCPTs*lteTs
	nA := max(int64(math.Ceil(start*fs)), segN0)
	nB := min(int64(math.Ceil((tu+prachSeqTs*lteTs)*fs)), segN0+int64(len(seg)))
	ls.prach.symbol(seg, segN0, nA, nB, tu, dc, off0, x, amp/math.Sqrt(nzc))
}

// renderSRS adds a sounding reference symbol: a Zadoff-Chu sequence on
// every other subcarrier (comb 2) of t's RBs, one SC-FDMA symbol with its
// cyclic prefix (36.211 §5.5.3).
func (ls *lteSynth) renderSRS(seg []complex128, segN0 int64, t *tx, dc float64, nRBc int, amp float64, r *rand.Rand) {
	fs := ls.grid.fs
	m := 6 * t.nRB // tones on the comb
	zc := ls.zadoffChu(r, m)
	comb := make([]complex128, 2*m)
	for i, v := range zc {
		comb[2*i] = v
	}
	off0 := (float64(12*t.rb-6*nRBc) + 0.5) * 15e3
	start := t.start.Seconds()
	tu := start + 144*lteTs
	nA := max(int64(math.Ceil(start*fs)), segN0)
	nB := min(int64(math.Ceil((tu+2048*lteTs)*fs)), segN0+int64(len(seg)))
	ls.grid.symbol(seg, segN0, nA, nB, tu, dc, off0, comb, amp/math.Sqrt(float64(m)))
}
