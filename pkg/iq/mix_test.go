package iq

import (
	"math"
	"math/cmplx"
	"strings"
	"testing"
)

func TestEncodeCU8(t *testing.T) {
	// Every level decodes ((b−127.5)/127.5) and encodes back to itself.
	x := make([]complex64, 256)
	for b := range x {
		v := float32((float64(b) - 127.5) / 127.5)
		x[b] = complex(v, -v)
	}
	out, clipped := EncodeCU8(x)
	if clipped != 0 {
		t.Errorf("levels inside the range clipped %d times", clipped)
	}
	for b := range x {
		if out[2*b] != byte(b) || out[2*b+1] != byte(255-b) {
			t.Fatalf("level %d encodes to %d,%d, want %d,%d", b, out[2*b], out[2*b+1], b, 255-b)
		}
	}
	// Half an LSB off rounds to the nearest level; beyond the rails clips.
	lsb := float32(1 / 127.5)
	out, clipped = EncodeCU8([]complex64{complex(0.4*lsb+(1-127.5)/127.5, 1.2), complex(-3, 1.0)})
	if out[0] != 1 || out[1] != 255 || out[2] != 0 || out[3] != 255 {
		t.Errorf("got %v, want [1 255 0 255]", out)
	}
	if clipped != 2 {
		t.Errorf("clipped %d components, want 2 (1.2 and −3)", clipped)
	}
}

func TestAddScaled(t *testing.T) {
	dst := make([]complex64, 10)
	if err := AddScaled(dst, []complex64{1, 1i, -2}, 7, 0.5); err != nil {
		t.Fatal(err)
	}
	want := []complex64{0, 0, 0, 0, 0, 0, 0, 0.5, 0.5i, -1}
	for i := range dst {
		if dst[i] != want[i] {
			t.Fatalf("dst = %v, want %v", dst, want)
		}
	}
	for _, c := range []struct {
		off  int
		gain float64
		want string
	}{
		{8, 1, "do not fit"},
		{-1, 1, "do not fit"},
		{0, math.NaN(), "not a number"},
	} {
		if err := AddScaled(dst, []complex64{1, 2, 3}, c.off, c.gain); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("AddScaled(offset %d, gain %g) = %v, want an error containing %q", c.off, c.gain, err, c.want)
		}
	}
}

func TestShift(t *testing.T) {
	const rate = 2.4e6
	x := tone(48000, -100e3, rate)
	Shift(x, 350e3, rate)
	amp, res := fitTone(x, 0, len(x), 250e3, rate)
	if math.Abs(cmplx.Abs(amp)-1) > 1e-5 || res > 1e-9 {
		t.Errorf("−100 kHz shifted by 350 kHz: amplitude %.6f at 250 kHz, residual %.2g, want 1 and 0", cmplx.Abs(amp), res)
	}
}

func TestGate(t *testing.T) {
	x := make([]complex64, 40)
	for i := range x {
		x[i] = 2 + 1i
	}
	Gate(x, []Span{{10, 20}, {30, 32}}, 4)
	for i, v := range x {
		switch {
		case i >= 10 && i < 20, i >= 30 && i < 32:
			if v != 2+1i {
				t.Errorf("sample %d inside a span changed to %v", i, v)
			}
		case i < 6, i >= 24 && i < 26, i >= 36:
			if v != 0 {
				t.Errorf("sample %d outside the spans and ramps is %v, want 0", i, v)
			}
		default:
			// On a ramp: strictly between 0 and the signal, rising towards the span.
			if g := real(v) / 2; g <= 0 || g >= 1 {
				t.Errorf("sample %d on a ramp has gain %v", i, g)
			}
		}
	}
	if !(real(x[7]) < real(x[8]) && real(x[8]) < real(x[9])) || !(real(x[20]) > real(x[21])) {
		t.Errorf("ramps are not monotonic: %v", x[6:24])
	}
}
