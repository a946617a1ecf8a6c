package sweep

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/bands"
	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/sim"
	"github.com/cellwatch/cellwatch/pkg/source"
)

func euHops(t *testing.T) []Hop {
	t.Helper()
	hp, err := NewHopPlan(bands.EU, HopPlanConfig{SampleRate: 2.4e6})
	if err != nil {
		t.Fatal(err)
	}
	return hp.Hops
}

func TestScheduleWithoutPriorityIsPlanOrder(t *testing.T) {
	hops := euHops(t)
	s := NewSchedule(hops, nil, 6*time.Millisecond, 5*time.Millisecond)
	if len(s.Order) != len(hops) {
		t.Fatalf("pass has %d visits, want %d", len(s.Order), len(hops))
	}
	for i, h := range s.Order {
		if h != i {
			t.Fatalf("visit %d is hop %d, want plan order", i, h)
		}
	}
	want := time.Duration(len(hops)) * 11 * time.Millisecond
	for i, r := range s.Revisit() {
		if r != want {
			t.Fatalf("hop %d revisit %v, want %v", i, r, want)
		}
	}
	if got := s.Integrating(); got < 0.545 || got > 0.546 {
		t.Errorf("integrating share %.4f, want 6/11", got)
	}
}

// The EU plan on one dongle at 2.4 MS/s with the default dwell and a 5 ms
// settle revisits every hop within a second; two dongles halve it.
func TestEURevisitWithinOneSecond(t *testing.T) {
	hops := euHops(t)
	dwell := 6 * time.Millisecond // config.Default().Detect.Dwell (not imported: config depends on nothing here)
	one := NewSchedule(hops, nil, dwell, 5*time.Millisecond)
	if r := one.MaxRevisit(); r > time.Second {
		t.Errorf("one dongle: revisit %v > 1 s (%d hops × %v)", r, len(hops), one.Step())
	}
	shares, _, err := AssignHops(hops, [][]string{nil, nil})
	if err != nil {
		t.Fatal(err)
	}
	for i, sh := range shares {
		s := NewSchedule(sh, nil, dwell, 5*time.Millisecond)
		if r := s.MaxRevisit(); r > 500*time.Millisecond {
			t.Errorf("dongle %d of 2: revisit %v > 0.5 s", i, r)
		}
	}
}

func TestSchedulePriorityHopsTwicePerPass(t *testing.T) {
	hops := euHops(t)
	// The lower edge of a 10 MHz carrier at 832 MHz: its PUCCH RB and PRACH.
	prio := []bands.Range{{Band: "B20", LowHz: 832e6, HighHz: 833.2e6}}
	s := NewSchedule(hops, prio, 6*time.Millisecond, 5*time.Millisecond)
	var p []int
	for i, h := range hops {
		if isPriority(h, prio) {
			p = append(p, i)
		}
	}
	if len(p) == 0 {
		t.Fatal("no hop overlaps 832–833.2 MHz")
	}
	if len(s.Order) != len(hops)+len(p) {
		t.Fatalf("pass has %d visits, want %d", len(s.Order), len(hops)+len(p))
	}
	rev := s.Revisit()
	pass := s.Pass()
	for i := range hops {
		n := 0
		for _, h := range s.Order {
			if h == i {
				n++
			}
		}
		if slices.Contains(p, i) {
			if n != 2 {
				t.Errorf("priority hop %d visited %d times per pass", i, n)
			}
			// Half a pass apart, give or take a visit.
			if rev[i] > pass/2+2*s.Step() {
				t.Errorf("priority hop %d: revisit %v, want ≈ %v", i, rev[i], pass/2)
			}
		} else {
			if n != 1 {
				t.Errorf("hop %d visited %d times per pass", i, n)
			}
			if rev[i] != pass {
				t.Errorf("hop %d: revisit %v, want the pass %v", i, rev[i], pass)
			}
		}
	}
}

type tuneLog struct {
	source.Source
	tunes []float64
}

func (l *tuneLog) Tune(ctx context.Context, hz float64) error {
	l.tunes = append(l.tunes, hz)
	return l.Source.Tune(ctx, hz)
}

type passCounter struct{ passes, visits int }

func (c *passCounter) Hop(*HopReport) {}
func (c *passCounter) Sweep(r SweepReport) {
	c.passes++
	c.visits = r.Hops
}
func (c *passCounter) Emission(detect.Emission) {}

func TestSweeperFollowsTheOrder(t *testing.T) {
	sc, _ := sim.Builtin("noise-only")
	src, err := source.NewSim("sim0", sc, 2.4e6, false)
	if err != nil {
		t.Fatal(err)
	}
	hops := euHops(t)[:4]
	order := []int{2, 0, 2, 1, 3}
	log := &tuneLog{Source: src}
	sw, err := NewSweeper(log, SweeperConfig{Plan: bands.EU, Hops: hops, Order: order,
		Settle: 5 * time.Millisecond, Dwell: 6 * time.Millisecond, FalseAlarmsPerDay: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := &passCounter{}
	sweepUntil(t, sw, src.Simulator(), c, 150*time.Millisecond)
	if c.passes == 0 || c.visits != len(order) {
		t.Fatalf("%d passes of %d visits, want ≥ 1 of %d", c.passes, c.visits, len(order))
	}
	for k, hz := range log.tunes {
		if want := hops[order[k%len(order)]].CenterHz; hz != want {
			t.Fatalf("tune %d at %.4f MHz, want %.4f", k, hz/1e6, want/1e6)
		}
	}
	if _, err := NewSweeper(src, SweeperConfig{Plan: bands.EU, Hops: hops, Order: []int{4}, Dwell: time.Millisecond}); err == nil {
		t.Error("an order naming a hop outside the share was accepted")
	}
}
