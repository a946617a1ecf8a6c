package sim

import (
	"math"
	"strings"
	"testing"
	"time"
)

// Two CW carriers outside the capture mix into a CW at 2·f1 − f2 of
// 2·P1 + P2 − 2·IIP3; a linear receiver (IIP3 0) has none.
func TestIntermodCWProduct(t *testing.T) {
	for _, iip3 := range []float64{-15, 0} {
		sc := quietScene()
		sc.Sensor.IIP3DBm = iip3
		sc.Carriers = []Carrier{
			{Name: "a", Kind: CarrierCW, FreqHz: 816e6, RxPowerDBm: -45},
			{Name: "b", Kind: CarrierCW, FreqHz: 796e6, RxPowerDBm: -45},
		}
		s := mustNew(t, sc)
		s.Tune(835.7e6) // the product 2·816 − 796 = 836 MHz at +300 kHz
		x := run(s, 100*time.Millisecond)
		got := db(bandPower(x, 299e3, 301e3)) + s.FullScaleDBm()
		if iip3 == 0 {
			if got > -115 {
				t.Errorf("linear receiver: %.1f dBm at 836 MHz, want nothing", got)
			}
			continue
		}
		want := 3*-45.0 - 2*iip3 // −105 dBm
		t.Logf("product at 836 MHz: %.2f dBm (model %.1f)", got, want)
		if math.Abs(got-want) > 0.5 {
			t.Errorf("product %.2f dBm, want %.1f", got, want)
		}
	}
}

// Two 10 MHz LTE downlinks in B20 DL (796, 816 MHz): their product at
// 836 MHz (27 MHz wide, σ 4.5 MHz) lifts the B20 uplink floor by the
// share of its power inside the capture, and is Gaussian-shaped there.
func TestIntermodLTEProductInUplink(t *testing.T) {
	floor := func(iip3 float64) (float64, []float64) {
		sc := quietScene()
		sc.Sensor.IIP3DBm = iip3
		sc.Carriers = []Carrier{
			{Name: "op1", Kind: CarrierLTEDL, FreqHz: 796e6, BandwidthHz: 10e6, RxPowerDBm: -40},
			{Name: "op3", Kind: CarrierLTEDL, FreqHz: 816e6, BandwidthHz: 10e6, RxPowerDBm: -40},
		}
		s := mustNew(t, sc)
		s.Tune(836e6)
		x := run(s, 200*time.Millisecond)
		return meanPower(x), welch(x, 240)
	}
	pLin, _ := floor(0)
	pIM, psd := floor(-15)
	ps := (&Scene{Sensor: Sensor{IIP3DBm: -15}, Carriers: []Carrier{
		{Name: "op1", Kind: CarrierLTEDL, FreqHz: 796e6, BandwidthHz: 10e6, RxPowerDBm: -40},
		{Name: "op3", Kind: CarrierLTEDL, FreqHz: 816e6, BandwidthHz: 10e6, RxPowerDBm: -40},
	}}).IntermodProducts()
	var p IntermodProduct
	for _, q := range ps {
		if strings.HasPrefix(q.Name, "im3:op3+op3-op1") {
			p = q
		}
	}
	if p.FreqHz != 836e6 || math.Abs(p.RxPowerDBm-(-90)) > 1e-9 || math.Abs(p.SigmaHz-4.5e6) > 1e3 || p.BandwidthHz != 27e6 {
		t.Fatalf("product %+v, want 836 MHz, −90 dBm, σ 4.5 MHz, 27 MHz wide", p)
	}
	// Share of a Gaussian of σ 4.5 MHz within ±1.2 MHz, over a
	// normalisation cut at ±13.5 MHz (3σ).
	share := math.Erf(1.2e6/4.5e6/math.Sqrt2) / math.Erf(3/math.Sqrt2)
	want := -90 + db(share)
	got := db(pIM-pLin) + mustNew(t, quietScene()).FullScaleDBm()
	t.Logf("product in the capture: %.2f dBm (model %.2f); floor rise %.2f dB", got, want, db(pIM/pLin))
	if math.Abs(got-want) > 0.5 {
		t.Errorf("product power in the capture %.2f dBm, want %.2f", got, want)
	}
	// The capture is flat to within the Gaussian's curvature: the PSD at
	// ±0.8 MHz is exp(−(0.8/4.5)²/2) = −0.07 dB from the centre, so both
	// sides stay level with each other (no tilt, the product is centred).
	side := func(k int) float64 { return (psd[k-2] + psd[k-1] + psd[k] + psd[k+1] + psd[k+2]) / 5 }
	if d := db(side(120-80) / side(120+80)); math.Abs(d) > 0.5 {
		t.Errorf("floor tilt %.2f dB between −0.8 and +0.8 MHz, want level", d)
	}
}

func TestIntermodProductsList(t *testing.T) {
	sc := &Scene{Sensor: Sensor{IIP3DBm: -20}, Carriers: []Carrier{
		{Name: "a", Kind: CarrierLTEDL, FreqHz: 927.5e6, BandwidthHz: 5e6, RxPowerDBm: -45},
		{Name: "b", Kind: CarrierLTEDL, FreqHz: 947.5e6, BandwidthHz: 5e6, RxPowerDBm: -45, Start: 10 * time.Second, Until: 20 * time.Second},
		{Name: "weak", Kind: CarrierCW, FreqHz: 930e6, RxPowerDBm: -120},
	}}
	got := map[string]IntermodProduct{}
	for _, p := range sc.IntermodProducts() {
		got[p.Name] = p
	}
	p, ok := got["im3:a+a-b"]
	if !ok || p.FreqHz != 907.5e6 || p.Start != 10*time.Second || p.Until != 20*time.Second || math.Abs(p.RxPowerDBm-(-95)) > 1e-9 {
		t.Errorf("a+a−b = %+v, want 907.5 MHz, −95 dBm, on 10–20 s (while both carriers are)", p)
	}
	for name := range got {
		if strings.Contains(name, "weak") {
			t.Errorf("%s: a product 40 dB under the noise is rendered", name)
		}
	}
	sc.Sensor.IIP3DBm = 0
	if n := len(sc.IntermodProducts()); n != 0 {
		t.Errorf("linear receiver: %d products", n)
	}
	sc.Sensor.IIP3DBm = -50
	if err := sc.Validate(); err == nil || !strings.Contains(err.Error(), "iip3_dbm") {
		t.Errorf("iip3_dbm −50 validated: %v", err)
	}
}
