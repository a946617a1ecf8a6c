package sim

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// IntermodProduct is a third-order product of two carriers A and B in a
// receiver of finite IIP3: at 2·fA − fB, 2·PA + PB − 2·IIP3 dBm (referred
// to the input), on air while both are. Two strong downlink carriers 10–20
// MHz apart put their products into the neighbouring uplink band (B20's
// reverse duplex: 2·816 − 796 = 836 MHz), where no digital filtering can
// tell them from the band's own signals.
type IntermodProduct struct {
	Name        string // "im3:A+A-B"
	FreqHz      float64
	BandwidthHz float64 // 2·BA + BB of the occupied widths; 0 for two CW carriers
	RxPowerDBm  float64
	Start       time.Duration
	Until       time.Duration // 0: to the end
	// SigmaHz is the RMS width of the product's spectrum: the convolution
	// A∗A∗B has variance 2σA² + σB² (rendered Gaussian-shaped).
	SigmaHz float64
}

// OccupiedHz is the width the carrier's energy occupies (0 for CW).
func (c *Carrier) OccupiedHz() float64 { return c.occupiedHz() }

// sigmaHz is the RMS width of the carrier's power spectrum.
func (c *Carrier) sigmaHz() float64 {
	switch c.Kind {
	case CarrierGSMDL:
		return 68e3 // shapeGMSK is Gaussian with σ = 68 kHz
	case CarrierCW:
		return 0
	}
	return c.occupiedHz() / math.Sqrt(12) // flat (LTE) or nearly (WCDMA)
}

// IntermodProducts lists the third-order products of the scene's carriers
// at its rendered sensor's IIP3 (none for a linear receiver). Products of
// three different carriers (fA + fB − fC) and higher orders are left out:
// the 2·fA − fB pairs are the strongest and the ones that reach the uplink.
// Products 40 dB or more under the thermal noise in their band (10 kHz
// for CW) are left out. Under an antenna-cut event the products drop by the cut's loss once
// (not three times, as the real product would).
func (sc *Scene) IntermodProducts() []IntermodProduct {
	iip3 := sc.Sensor.IIP3DBm
	if iip3 == 0 {
		return nil
	}
	var out []IntermodProduct
	for i := range sc.Carriers {
		for j := range sc.Carriers {
			a, b := &sc.Carriers[i], &sc.Carriers[j]
			if i == j {
				continue
			}
			p := IntermodProduct{
				Name:        "im3:" + a.Name + "+" + a.Name + "-" + b.Name,
				FreqHz:      2*a.FreqHz - b.FreqHz,
				BandwidthHz: 2*a.occupiedHz() + b.occupiedHz(),
				RxPowerDBm:  2*a.RxPowerDBm + b.RxPowerDBm - 2*iip3,
				Start:       max(a.Start, b.Start),
				Until:       a.Until,
				SigmaHz:     math.Sqrt(2*a.sigmaHz()*a.sigmaHz() + b.sigmaHz()*b.sigmaHz()),
			}
			if p.Until == 0 || b.Until != 0 && b.Until < p.Until {
				p.Until = b.Until
			}
			if p.Until != 0 && p.Until <= p.Start || p.FreqHz <= 0 {
				continue
			}
			// Far below the 8-bit resolution and the noise: not rendered.
			if p.RxPowerDBm < sc.Sensor.noiseDBm(max(p.BandwidthHz, 10e3))-40 {
				continue
			}
			out = append(out, p)
		}
	}
	return out
}

// intermodSources synthesises the modulated products as Gaussian noise
// with Gaussian-shaped spectra of their RMS widths, each cut at its
// occupied edges; products on air over the same interval whose bands
// overlap share one source (one tone
// synthesis per symbol instead of one per product; the sum of independent
// Gaussian tones is a Gaussian tone of the summed power). The true product
// x_A²·x_B* is not Gaussian sample by sample, but in the detector's
// 9.4 kHz bins (a product MHz wide, summed over hundreds of independent
// components) it is, to the central limit theorem.
func intermodSources(ps []IntermodProduct) []*wideSource {
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b IntermodProduct) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Until, b.Until),
			cmp.Compare(a.FreqHz-a.BandwidthHz/2, b.FreqHz-b.BandwidthHz/2))
	})
	var out []*wideSource
	for i := 0; i < len(ps); {
		hi := ps[i].FreqHz + ps[i].BandwidthHz/2
		j := i + 1
		for ; j < len(ps) && ps[j].Start == ps[i].Start && ps[j].Until == ps[i].Until && ps[j].FreqHz-ps[j].BandwidthHz/2 < hi; j++ {
			hi = max(hi, ps[j].FreqHz+ps[j].BandwidthHz/2)
		}
		out = append(out, groupSource(ps[i:j]))
		i = j
	}
	return out
}

// groupSource renders overlapping products as one source: the shape sums
// each product's Gaussian (zero outside its band), weighted so that each
// product's tones carry its power; toneDBm is the strongest weight's.
func groupSource(g []IntermodProduct) *wideSource {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range g {
		lo, hi = min(lo, p.FreqHz-p.BandwidthHz/2), max(hi, p.FreqHz+p.BandwidthHz/2)
	}
	fc := (lo + hi) / 2
	type part struct{ d, sig, half, w float64 }
	parts := make([]part, len(g))
	var peak float64
	for i, p := range g {
		tones := p.SigmaHz * math.Sqrt(2*math.Pi) * math.Erf(p.BandwidthHz/2/p.SigmaHz/math.Sqrt2) / 15e3
		w := math.Pow(10, p.RxPowerDBm/10) / tones // mW per tone at the peak
		parts[i] = part{d: p.FreqHz - fc, sig: p.SigmaHz, half: p.BandwidthHz / 2, w: w}
		peak = max(peak, w)
	}
	for i := range parts {
		parts[i].w /= peak
	}
	shape := func(f float64) float64 {
		var v float64
		for _, q := range parts {
			if x := f - q.d; math.Abs(x) <= q.half {
				x /= q.sig
				v += q.w * math.Exp(-x*x/2)
			}
		}
		return v
	}
	id := "\x00im3"
	for _, p := range g {
		id += ":" + p.Name
	}
	return &wideSource{id: id, fc: fc, lo: lo - fc, hi: hi - fc, shape: shape,
		toneDBm: 10 * math.Log10(peak), from: g[0].Start, till: g[0].Until}
}

// noiseDBm is the sensor's thermal noise (kTB·NF) in bandwidthHz.
func (s *Sensor) noiseDBm(bandwidthHz float64) float64 {
	return -174 + s.noiseFigure() + 10*math.Log10(bandwidthHz)
}
