package source

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/iq"
	"github.com/cellwatch/cellwatch/pkg/sim"
)

func newTestSim(t *testing.T, realtime bool) *Sim {
	t.Helper()
	sc, err := sim.Builtin("corridor-small")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSim("sim0", sc, 2.4e6, realtime)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSimSource(t *testing.T) {
	var _ Source = (*Sim)(nil)
	var _ Calibrated = (*Sim)(nil)
	s := newTestSim(t, false)
	ctx := context.Background()
	in := s.Info()
	if in.Format != iq.CU8 || in.SampleRate != 2.4e6 || !in.Tunable || in.MinFreq != 24e6 || in.MaxFreq != 1766e6 {
		t.Fatalf("info %+v", in)
	}
	if s.FullScaleDBm() != -67 {
		t.Errorf("full scale %g dBm, want the scene's -67", s.FullScaleDBm())
	}
	if err := s.Tune(ctx, 10e6); err == nil {
		t.Error("tune below 24 MHz accepted")
	}
	if err := s.Tune(ctx, 1800e6); err == nil {
		t.Error("tune above 1766 MHz accepted")
	}
	if err := s.Tune(ctx, 847e6); err != nil || s.Info().CenterFreq != 847e6 {
		t.Fatalf("tune: %v, centre %g", err, s.Info().CenterFreq)
	}
	p := make([]byte, 4097)
	n, err := s.Read(ctx, p)
	if err != nil || n != 4096 {
		t.Fatalf("read %d, %v; want 4096 (whole samples)", n, err)
	}
	if got := s.Simulator().Now(); got != 853333*time.Nanosecond {
		t.Errorf("stream time %v after 2048 samples", got)
	}
	// the same calls on the simulator give the same bytes
	sc, _ := sim.Builtin("corridor-small")
	raw, _ := sim.New(sc, 2.4e6)
	raw.Tune(847e6)
	q := make([]byte, 4096)
	raw.Generate(q)
	if !bytes.Equal(p[:n], q) {
		t.Error("source bytes differ from the simulator's")
	}
	s.Close()
	if _, err := s.Read(ctx, p); err == nil {
		t.Error("read after close succeeded")
	}
}

func TestSimRealtimePacing(t *testing.T) {
	s := newTestSim(t, true)
	ctx := context.Background()
	p := make([]byte, 2*24000) // 10 ms
	start := time.Now()
	for range 5 {
		if _, err := s.Read(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 48*time.Millisecond {
		t.Errorf("50 ms of samples delivered in %v", el)
	}
	if got := s.Simulator().Now(); got != 50*time.Millisecond {
		t.Errorf("stream time %v, want 50 ms", got)
	}
	// fast mode does not wait
	f := newTestSim(t, false)
	start = time.Now()
	for range 5 {
		f.Read(ctx, p)
	}
	if el := time.Since(start); el > 40*time.Millisecond {
		t.Logf("non-realtime 50 ms of samples took %v (slow machine?)", el)
	}
}

func TestSimRealtimeCancel(t *testing.T) {
	s := newTestSim(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	n, err := s.Read(ctx, make([]byte, 2*2_400_000)) // 1 s of samples
	if !errors.Is(err, context.Canceled) || n != 0 {
		t.Fatalf("read returned %d, %v; want context.Canceled", n, err)
	}
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Errorf("cancel took %v to take effect", el)
	}
	if s.Simulator().Now() != 0 {
		t.Error("a cancelled read advanced the stream")
	}
	if _, err := s.Read(ctx, make([]byte, 2)); !errors.Is(err, context.Canceled) {
		t.Errorf("read on a done context: %v", err)
	}
}
