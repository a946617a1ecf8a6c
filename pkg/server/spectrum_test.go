package server

import (
	"testing"
	"time"
)

// Update copies what the hop points to, so the sweep side can reuse its
// buffers, and allocates nothing once the hop is known; Hops hands out
// copies that later Updates do not touch.
func TestSpectrumUpdateCopies(t *testing.T) {
	sp := NewSpectrum()
	floor, peak := -100.0, -60.0
	bins := HopBins{FirstHz: 880.005e6, StepHz: 10e3, Floor: Levels{-100, -99}, Peak: Levels{-70, -60}}
	h := HopLevel{Device: "d0", Band: "B8", LowHz: 880e6, HighHz: 882e6, Unit: "dBm", Floor: &floor, Peak: &peak, Time: time.Unix(1, 0), Bins: &bins}
	sp.Update(h)
	got := sp.Hops("", "", true)
	floor, peak, bins.Floor[0], bins.Peak[1] = -1, -2, -3, -4 // the caller reuses its scratch
	if len(got) != 1 || *got[0].Floor != -100 || *got[0].Peak != -60 || got[0].Bins.Floor[0] != -100 || got[0].Bins.Peak[1] != -60 {
		t.Fatalf("a copy handed out changed with the caller's buffers: %+v %+v", got, got[0].Bins)
	}
	if again := sp.Hops("", "", true)[0]; *again.Floor != -100 || again.Bins.Peak[1] != -60 {
		t.Fatalf("the stored hop changed with the caller's buffers: floor %v bins %+v", *again.Floor, again.Bins)
	}
	sp.Update(h) // now -1, -2, -3, -4
	if *got[0].Floor != -100 || got[0].Bins.Floor[0] != -100 {
		t.Fatal("an Update rewrote a copy handed out earlier")
	}
	if now := sp.Hops("d0", "B8", true)[0]; *now.Floor != -1 || *now.Peak != -2 || now.Bins.Floor[0] != -3 || now.Bins.Peak[1] != -4 {
		t.Fatalf("second update not stored: %+v %+v", now, now.Bins)
	}
	if a := testing.AllocsPerRun(100, func() { sp.Update(h) }); a != 0 {
		t.Errorf("Update of a known hop allocates %v times", a)
	}
	h.Floor, h.Bins = nil, nil
	sp.Update(h)
	if now := sp.Hops("", "", true)[0]; now.Floor != nil || now.Bins != nil || *now.Peak != -2 {
		t.Fatalf("a hop without floor and bins kept old ones: %+v", now)
	}
}
