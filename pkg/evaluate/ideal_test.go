package evaluate

import (
	"math"
	"math/rand/v2"
	"testing"
)

// domain.md §5.1: required per-sample SNR (dB) for P_D 0.9 at P_FA 1e-6,
// exact chi-square, deterministic signal.
func TestIdealMatchesDomainReference(t *testing.T) {
	for _, c := range []struct {
		n    float64
		want float64
	}{{1, 13.18}, {8, 5.97}, {16, 3.83}, {32, 1.82}, {58, 0.18}, {115, -1.62}, {200, -3.01}, {1000, -6.87}, {10000, -12.09}} {
		snr, err := IdealED{N: c.n}.RequiredSNR(0.9, 1e-6)
		if err != nil {
			t.Fatal(err)
		}
		if got := linToDB(snr); math.Abs(got-c.want) > 0.01 {
			t.Errorf("N=%v: required SNR %.3f dB, domain.md gives %.2f dB", c.n, got, c.want)
		}
	}
}

// An independent Monte-Carlo of the radiometer: N complex Gaussian noise
// samples plus a constant-envelope signal of random phase per sample.
func TestIdealMatchesMonteCarlo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const trials = 20000
	for _, c := range []struct{ n, snrDB, pfa float64 }{{115, -1.62, 1e-3}, {200, -5, 1e-2}, {16, 3, 1e-2}} {
		d := IdealED{N: c.n}
		lambda := d.Threshold(c.pfa)
		a := math.Sqrt(dbToLin(c.snrDB))
		fa, det := 0, 0
		for i := 0; i < trials; i++ {
			var t0, t1 float64
			for k := 0; k < int(c.n); k++ {
				nr, ni := rng.NormFloat64()*math.Sqrt(0.5), rng.NormFloat64()*math.Sqrt(0.5)
				t0 += nr*nr + ni*ni
				ph := rng.Float64() * 2 * math.Pi
				sr, si := nr+a*math.Cos(ph), ni+a*math.Sin(ph)
				t1 += sr*sr + si*si
			}
			if t0 > lambda {
				fa++
			}
			if t1 > lambda {
				det++
			}
		}
		pfa, pd := float64(fa)/trials, float64(det)/trials
		wantPD := d.PD(dbToLin(c.snrDB), c.pfa)
		// 4.5 binomial standard deviations.
		if tol := 4.5 * math.Sqrt(wantPD*(1-wantPD)/trials); math.Abs(pd-wantPD) > tol {
			t.Errorf("N=%v SNR %v dB: Monte-Carlo P_D %.4f, exact %.4f (±%.4f)", c.n, c.snrDB, pd, wantPD, tol)
		}
		if tol := 4.5 * math.Sqrt(c.pfa*(1-c.pfa)/trials); math.Abs(pfa-c.pfa) > tol {
			t.Errorf("N=%v: Monte-Carlo P_FA %.4f, want %.4f (±%.4f)", c.n, pfa, c.pfa, tol)
		}
	}
}
