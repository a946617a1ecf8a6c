package iq

import (
	"math"
	"math/cmplx"
	"strings"
	"testing"
)

// The conversions the corpus needs: uplink captures and the RTL-SDR noise
// recording to the daemon's 2.4 MS/s.
var corpusRatios = []struct {
	in, out  float64
	up, down int
}{
	{1.92e6, 2.4e6, 5, 4},           // LTE-Cell-Scanner RTL-SDR captures
	{30.72e6, 2.4e6, 5, 64},         // OTP4LTE-U uplink
	{1083333.33, 2.4e6, 144, 65},    // GSM at 4 samples per symbol (13 MHz / 12)
	{15.36e6, 2.4e6, 5, 32},         // srsRAN sidelink (Qualcomm)
	{11.52e6, 2.4e6, 5, 24},         // srsRAN sidelink (Huawei)
	{2.4e6, 1.92e6, 4, 5},           // and back down
	{2.048e6, 2.048e6, 1, 1},        // identity
	{4e6, 2.4e6, 3, 5},              // GSMSP USRP recordings
	{3250000.0 / 3, 2.4e6, 144, 65}, // the exact GSM rate
	// and to the corpus mixes' 1.92 MS/s
	{30.72e6, 1.92e6, 1, 16},
	{15.36e6, 1.92e6, 1, 8},
	{11.52e6, 1.92e6, 1, 6},
	{13e6 / 12, 1.92e6, 576, 325},
}

func TestResamplerRatio(t *testing.T) {
	for _, c := range corpusRatios {
		r, err := NewResampler(c.in, c.out)
		if err != nil {
			t.Fatalf("%g → %g: %v", c.in, c.out, err)
		}
		if r.Up != c.up || r.Down != c.down {
			t.Errorf("%g → %g: ratio %d/%d, want %d/%d", c.in, c.out, r.Up, r.Down, c.up, c.down)
		}
	}
	for _, c := range []struct {
		in, out float64
		want    string
	}{
		{0, 2.4e6, "input rate 0"},
		{-1, 2.4e6, "input rate -1"},
		{1e6, math.NaN(), "output rate NaN"},
		{1e6, math.Inf(1), "output rate +Inf"},
		{1e6, 1e6 * 7920 / 7919, "not a ratio"}, // needs Up = 7920
	} {
		_, err := NewResampler(c.in, c.out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewResampler(%g, %g) = %v, want an error containing %q", c.in, c.out, err, c.want)
		}
	}
}

func tone(n int, hz, rate float64) []complex64 {
	x := make([]complex64, n)
	for i := range x {
		x[i] = complex64(cmplx.Rect(1, 2*math.Pi*hz*float64(i)/rate))
	}
	return x
}

// fitTone is the least-squares complex amplitude of a tone at hz in y[a:b],
// and the power of what is left (aliases, images, leakage) relative to a
// unit tone.
func fitTone(y []complex64, a, b int, hz, rate float64) (amp complex128, residual float64) {
	for i := a; i < b; i++ {
		amp += complex128(y[i]) * cmplx.Rect(1, -2*math.Pi*hz*float64(i)/rate)
	}
	amp /= complex(float64(b-a), 0)
	for i := a; i < b; i++ {
		d := complex128(y[i]) - amp*cmplx.Rect(1, 2*math.Pi*hz*float64(i)/rate)
		residual += real(d)*real(d) + imag(d)*imag(d)
	}
	return amp, residual / float64(b-a)
}

func db(p float64) float64 { return 10 * math.Log10(p) }

// TestResamplerResponse measures the response with tones: flat and zero-phase
// in the passband, and no alias or image above −80 dB anywhere in the output.
func TestResamplerResponse(t *testing.T) {
	for _, c := range corpusRatios {
		if c.up == c.down {
			continue
		}
		r, err := NewResampler(c.in, c.out)
		if err != nil {
			t.Fatal(err)
		}
		// Steady state: a filter's half-length away from both ends, and
		// 1000 output samples between (enough to see −90 dB residues).
		margin := int(math.Ceil(float64(r.half)/float64(r.Down))) + 2
		n := (2*margin + 1000) * r.Down / r.Up
		// Tones across the input band, in and beyond the passband, on both sides.
		nyqIn := c.in / 2
		var freqs []float64
		for _, s := range []float64{0, 0.13, 0.37, 0.61, 0.83, 1} {
			freqs = append(freqs, s*r.PassHz, -s*r.PassHz)
		}
		for f := r.StopHz; f < nyqIn; f += (nyqIn - r.StopHz) / 7 {
			freqs = append(freqs, f, -f)
		}
		var worstRipple, worstPhase, worstAlias, worstStop float64 = 0, 0, -999, -999
		for _, f := range freqs {
			y := r.Resample(tone(n, f, c.in))
			if len(y) != r.OutputLen(n) {
				t.Fatalf("%g → %g: %d samples out for %d in, want %d", c.in, c.out, len(y), n, r.OutputLen(n))
			}
			a, b := margin, len(y)-margin
			if math.Abs(f) <= r.PassHz {
				amp, res := fitTone(y, a, b, f, c.out)
				worstRipple = math.Max(worstRipple, math.Abs(20*math.Log10(cmplx.Abs(amp))))
				worstPhase = math.Max(worstPhase, math.Abs(cmplx.Phase(amp)))
				worstAlias = math.Max(worstAlias, db(res))
			} else {
				// Beyond the stopband edge nothing may come through, at any
				// frequency it might alias to.
				var p float64
				for _, v := range y[a:b] {
					p += float64(real(v)*real(v) + imag(v)*imag(v))
				}
				worstStop = math.Max(worstStop, db(p/float64(b-a)))
			}
		}
		t.Logf("%g → %g S/s (%d/%d, %d taps): passband ±%.3f dB, phase %.2g rad, aliases/images %.1f dB",
			c.in, c.out, r.Up, r.Down, r.Taps(), worstRipple, worstPhase, worstAlias)
		if c.in > c.out {
			t.Logf("  stopband (tones from %.0f Hz to the input Nyquist): %.1f dB", r.StopHz, worstStop)
		}
		if worstRipple > 0.01 {
			t.Errorf("%g → %g: passband gain off by %.4f dB, want ≤ 0.01 dB", c.in, c.out, worstRipple)
		}
		// Zero phase at every passband frequency is zero phase and group
		// delay: output sample m is the input at time m/outRate.
		if worstPhase > 1e-3 {
			t.Errorf("%g → %g: passband phase %.4f rad, want 0 (the filter must not delay)", c.in, c.out, worstPhase)
		}
		if worstAlias > -79 {
			t.Errorf("%g → %g: aliases/images of a passband tone at %.1f dB, want ≤ −80 dB", c.in, c.out, worstAlias)
		}
		if c.in > c.out && worstStop > -79 {
			t.Errorf("%g → %g: a stopband tone comes through at %.1f dB, want ≤ −80 dB", c.in, c.out, worstStop)
		}
	}
}

// TestResamplerBurstTiming: a burst keeps its start and end through
// resampling, to within one output sample, whatever the ratio.
func TestResamplerBurstTiming(t *testing.T) {
	for _, c := range corpusRatios {
		r, err := NewResampler(c.in, c.out)
		if err != nil {
			t.Fatal(err)
		}
		// A 577 µs burst of a passband tone starting 0.9 ms in, in 2.5 ms.
		n := int(2.5e-3 * c.in)
		x := tone(n, 0.3*r.PassHz, c.in)
		on0, on1 := int(0.9e-3*c.in), int((0.9e-3+577e-6)*c.in)
		for i := range x {
			if i < on0 || i >= on1 {
				x[i] = 0
			}
		}
		y := r.Resample(x)
		first, last := -1, -1
		for m, v := range y {
			if cmplx.Abs(complex128(v)) >= 0.5 {
				if first < 0 {
					first = m
				}
				last = m
			}
		}
		// Half amplitude is where a zero-phase filter puts a step's edge.
		wantStart := float64(on0) / c.in
		wantEnd := float64(on1-1) / c.in
		gotStart, gotEnd := float64(first)/c.out, float64(last)/c.out
		if math.Abs(gotStart-wantStart) > 1/c.out || math.Abs(gotEnd-wantEnd) > 1/c.out {
			t.Errorf("%g → %g: burst at %.7f–%.7f s, want %.7f–%.7f s (±1 sample = %.2g s)",
				c.in, c.out, gotStart, gotEnd, wantStart, wantEnd, 1/c.out)
		}
	}
}

// TestResamplerLength: the output spans the input's duration, and Up = Down
// passes samples through unchanged.
func TestResamplerLength(t *testing.T) {
	r, err := NewResampler(30.72e6, 2.4e6)
	if err != nil {
		t.Fatal(err)
	}
	// 29.3 ms at 30.72 MS/s is 29.3 ms at 2.4 MS/s.
	if got, want := r.OutputLen(900000), (900000-1)*5/64+1; got != want {
		t.Errorf("OutputLen(900000) = %d, want %d", got, want)
	}
	if r.OutputLen(0) != 0 || len(r.Resample(nil)) != 0 {
		t.Error("no input must give no output")
	}
	id, _ := NewResampler(2.4e6, 2.4e6)
	x := tone(100, 1e5, 2.4e6)
	y := id.Resample(x)
	for i := range x {
		if x[i] != y[i] {
			t.Fatalf("identity resampler changed sample %d: %v → %v", i, x[i], y[i])
		}
	}
}
