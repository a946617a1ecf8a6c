// Package evaluate scores cellwatch's detection core against the
// simulator's truth: detection probability against in-band SNR next to the
// ideal energy detector, false detections per sensor-hour on noise and
// clutter, the technology confusion matrix, the chance that the sweep
// catches a short signalling event, and the plots of all that.
package evaluate

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// IdealED is the ideal energy detector (radiometer) of domain.md §5.1: it
// knows exactly when and where the signal is (N = time × bandwidth complex
// samples) and the noise power, and compares T = Σ|x|²/σ² with a threshold.
// Under noise 2T ~ χ²(2N); with a deterministic signal of per-sample SNR γ,
// 2T ~ χ'²(2N, 2Nγ). Nothing real can beat it without knowing the waveform.
type IdealED struct {
	N float64 // complex samples (time-bandwidth product), > 0
}

// Threshold is λ such that P(T > λ | noise) = pfa: the inverse regularised
// upper incomplete gamma function Γ(N, λ)/Γ(N) = pfa.
func (d IdealED) Threshold(pfa float64) float64 {
	return mathext.GammaIncRegCompInv(d.N, pfa)
}

// PFA is P(T > λ | noise).
func (d IdealED) PFA(lambda float64) float64 {
	return mathext.GammaIncRegComp(d.N, lambda)
}

// PD is the detection probability at per-sample SNR snr (linear) for the
// threshold that gives pfa: the generalised Marcum Q function
// Q_N(√(2Nγ), √(2λ)), summed as its Poisson mixture of gamma tails,
// P_D = Σ_k Pois(k; Nγ)·Γ(N+k, λ)/Γ(N+k), exactly (terms beyond 12
// standard deviations of the Poisson weight are below 1e-30).
func (d IdealED) PD(snr, pfa float64) float64 {
	return d.pdAt(snr, d.Threshold(pfa))
}

func (d IdealED) pdAt(snr, lambda float64) float64 {
	m := d.N * snr // Poisson mean: half the non-centrality 2Nγ
	if m <= 0 {
		return d.PFA(lambda)
	}
	sd := math.Sqrt(m)
	k0 := max(0, int(math.Floor(m-12*sd-12)))
	k1 := int(math.Ceil(m + 12*sd + 12))
	var pd float64
	for k := k0; k <= k1; k++ {
		lw := float64(k)*math.Log(m) - m - lgamma(float64(k)+1)
		pd += math.Exp(lw) * mathext.GammaIncRegComp(d.N+float64(k), lambda)
	}
	return math.Min(1, pd)
}

// RequiredSNR is the per-sample SNR (linear) at which the detector reaches
// pd with false-alarm probability pfa, found by bisection in dB.
func (d IdealED) RequiredSNR(pd, pfa float64) (float64, error) {
	if !(d.N > 0) || !(pfa > 0 && pfa < 1) || !(pd > pfa && pd < 1) {
		return 0, fmt.Errorf("evaluate: no required SNR for N %g, pfa %g, pd %g", d.N, pfa, pd)
	}
	lambda := d.Threshold(pfa)
	lo, hi := -60.0, 60.0 // dB
	for i := 0; i < 100 && hi-lo > 1e-6; i++ {
		mid := (lo + hi) / 2
		if d.pdAt(dbToLin(mid), lambda) < pd {
			lo = mid
		} else {
			hi = mid
		}
	}
	return dbToLin((lo + hi) / 2), nil
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

func dbToLin(db float64) float64 { return math.Pow(10, db/10) }

func linToDB(x float64) float64 { return 10 * math.Log10(x) }
