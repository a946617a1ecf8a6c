package detect

import (
	"math"
	"testing"
)

func burst(start, dur, lo, hi float64, s Shape) Burst {
	return Burst{Start: start, End: start + dur, FreqLo: lo, FreqHi: hi, Shape: s, SNRdB: 15, InstFraction: 1}
}

func TestTrackerGSMCall(t *testing.T) {
	tr := NewTracker(TrackerConfig{})
	for i := 0; i < 6; i++ {
		tr.Add(burst(0.01+float64(i)*GSMFrame, 577e-6, 897.9e6, 898.1e6, ShapeSlot))
	}
	ems := tr.Flush(0.1, nil)
	if len(ems) != 0 {
		t.Fatalf("emission closed before its gap: %+v", ems)
	}
	ems = tr.Flush(0.6, nil)
	if len(ems) != 1 || ems[0].Tech != GSM || ems[0].Bursts != 6 {
		t.Fatalf("want one GSM emission of 6 bursts, got %+v", ems)
	}
}

func TestTrackerPUCCHHopping(t *testing.T) {
	tr := NewTracker(TrackerConfig{})
	// 1.4 MHz carrier at 0: slot 0 at the lower edge, slot 1 at the upper.
	tr.Add(burst(0.010, 0.5e-3, -630e3, -450e3, ShapeSlot))
	tr.Add(burst(0.0105, 0.5e-3, 450e3, 630e3, ShapeSlot))
	ems := tr.FlushAll(nil)
	if len(ems) != 1 || ems[0].Tech != LTE || ems[0].BandwidthHz < 1.2e6 {
		t.Fatalf("PUCCH edge hop should be one LTE emission spanning the carrier, got %+v", ems)
	}
}

func TestTrackerSubframeGrid(t *testing.T) {
	tr := NewTracker(TrackerConfig{})
	// A PUCCH edge seen alone, every 5 ms: the LTE subframe grid.
	for i := 0; i < 4; i++ {
		tr.Add(burst(0.02+float64(i)*5e-3, 0.5e-3, 842.5e6, 842.68e6, ShapeSlot))
	}
	ems := tr.FlushAll(nil)
	if len(ems) != 1 || ems[0].Tech != LTE {
		t.Fatalf("slots on a 1 ms grid are LTE, got %+v", ems)
	}
}

func TestTrackerCoTimedAndClutter(t *testing.T) {
	tr := NewTracker(TrackerConfig{NotUplink: func(f float64) string {
		if f > 925e6 {
			return "downlink band (B8)"
		}
		return ""
	}})
	tr.Add(burst(0.01, 1e-3, 100e3, 640e3, ShapeSubframe))
	tr.Add(burst(0.01, 1e-3, -900e3, -720e3, ShapeSubframe)) // PUCCH of the same subframe
	tr.Add(burst(0.05, 0.02, 300e3, 310e3, ShapeNarrow))
	tr.Add(burst(0.07, 1e-3, 937e6, 937.2e6, ShapeSubframe))
	ems := tr.FlushAll(nil)
	var lte, clutter int
	for _, e := range ems {
		switch e.Tech {
		case LTE:
			lte++
			if e.BandwidthHz < 1.5e6 {
				t.Errorf("co-timed allocations not merged: %+v", e)
			}
		case Clutter:
			clutter++
		}
	}
	if lte != 1 || clutter != 2 {
		t.Errorf("want 1 LTE and 2 clutter, got %+v", ems)
	}
}

func TestTrackerLoneSlotByBand(t *testing.T) {
	noGSM := func(f float64) bool { return f > 832e6 && f < 862e6 } // B20: LTE only
	for _, c := range []struct {
		f    float64
		want Tech
	}{{844.4e6, LTE}, {898e6, GSM}} {
		tr := NewTracker(TrackerConfig{NoGSM: noGSM})
		tr.Add(burst(0.01, 0.5e-3, c.f-90e3, c.f+90e3, ShapeSlot))
		if ems := tr.FlushAll(nil); len(ems) != 1 || ems[0].Tech != c.want {
			t.Errorf("lone slot at %.1f MHz: %+v, want %s", c.f/1e6, ems, c.want)
		}
	}
}

// In a band with GSM, a lone slot on the 200 kHz GSM raster is GSM and one
// between its channels (an LTE PUCCH edge RB) is LTE.
func TestTrackerLoneSlotByRaster(t *testing.T) {
	band := func(f float64) string { return "B3" }
	for _, c := range []struct {
		f    float64
		want Tech
	}{{1736.09e6, LTE}, {1736.2e6, GSM}, {1736.225e6, GSM}} {
		tr := NewTracker(TrackerConfig{Band: band})
		tr.Add(burst(0.01, 0.5e-3, c.f-90e3, c.f+90e3, ShapeSlot))
		if ems := tr.FlushAll(nil); len(ems) != 1 || ems[0].Tech != c.want {
			t.Errorf("lone slot at %.3f MHz: %+v, want %s", c.f/1e6, ems, c.want)
		}
	}
	// Without a band the frequency may be a baseband offset: no raster cue.
	tr := NewTracker(TrackerConfig{})
	tr.Add(burst(0.01, 0.5e-3, 90e3-90e3, 90e3+90e3, ShapeSlot))
	if ems := tr.FlushAll(nil); len(ems) != 1 || ems[0].Tech != GSM {
		t.Errorf("lone slot without a band: %+v, want gsm", ems)
	}
}

func TestTrackerUMTSSkirts(t *testing.T) {
	noUMTS := func(f float64) bool { return f < 880e6 } // B20 below, B8 above
	tr := NewTracker(TrackerConfig{Gap: 0.5, NoUMTS: noUMTS})
	// A 5 MHz UMTS carrier at 907.6 MHz across four 1.9 MHz hops, 11 ms
	// apart: the two it fills read wide, the two beside catch its skirts.
	tr.Add(burst(1.000, 2.3e-3, 905.58e6, 905.79e6, ShapeSubframe))
	tr.Add(burst(1.011, 5.9e-3, 905.78e6, 907.64e6, ShapeWide))
	tr.Add(burst(1.022, 5.9e-3, 907.63e6, 909.48e6, ShapeWide))
	tr.Add(burst(1.033, 3.2e-3, 909.45e6, 909.66e6, ShapeSubframe))
	// An LTE allocation on another carrier of the band, far from it.
	tr.Add(burst(1.040, 1e-3, 900.0e6, 900.36e6, ShapeSubframe))
	// The same wide footprint where no UMTS network runs: a wide LTE
	// allocation.
	tr.Add(burst(1.050, 5.9e-3, 845.0e6, 846.9e6, ShapeWide))
	ems := tr.Flush(2, nil)
	got := map[float64]Tech{}
	for _, e := range ems {
		got[math.Round(e.FreqHz/1e5)/10] = e.Tech
	}
	want := map[float64]Tech{905.7: UMTS, 906.7: UMTS, 908.6: UMTS, 909.6: UMTS, 900.2: LTE, 846: LTE}
	for f, w := range want {
		if got[f] != w {
			t.Errorf("%.1f MHz: %q, want %q (all: %v)", f, got[f], w, got)
		}
	}
	// Seconds into the call the floor has learned part of it: its power
	// swings come out as fragments, still UMTS; minutes after, an
	// allocation there is LTE again.
	tr.Add(burst(11, 1e-3, 906.2e6, 906.5e6, ShapeSubframe))
	if ems := tr.Flush(12, nil); len(ems) != 1 || ems[0].Tech != UMTS {
		t.Errorf("fragment 10 s into the call: %+v, want UMTS", ems)
	}
	tr.Add(burst(400, 1e-3, 906.2e6, 906.5e6, ShapeSubframe))
	if ems := tr.Flush(401, nil); len(ems) != 1 || ems[0].Tech != LTE {
		t.Errorf("allocation 399 s after the last wide burst: %+v, want LTE", ems)
	}
	if len(tr.wides) != 0 {
		t.Errorf("%d wide bursts still remembered %g s later", len(tr.wides), 401-1.028)
	}
}
