package alert

import (
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
)

// Evidence is an emission with the wall-clock span it covers.
type Evidence struct {
	E           detect.Emission
	First, Last time.Time
}

// GateConfig is a zone's gates: what an emission must show to count as
// evidence for an alert.
type GateConfig struct {
	// MinSNRdB: weaker emissions are not evidence (0: the detector's own
	// threshold is the gate).
	MinSNRdB float64
	// MinPowerDBm gates on received power at the antenna port; nil: no
	// gate. An emission from an uncalibrated receiver (no dBm) passes it:
	// missing a phone is worse than a distant one raising an alert, and the
	// daemon warns at start when this happens.
	MinPowerDBm *float64
	// M of K: evidence is released to the engine once M of the last K
	// sweeps had some; 0 means 1.
	M, K int
}

// Gate applies a zone's gates and M-of-K persistence. It is pure and not
// safe for concurrent use (the daemon calls it under its alert lock).
type Gate struct {
	cfg   GateConfig
	slots []bool // ring of the last K sweeps: had evidence
	cur   int
	held  []held // evidence waiting for persistence, at most maxHeld
}

type held struct {
	ev    Evidence
	sweep int // sweeps since it was seen
}

// maxHeld bounds the evidence held while persistence is not yet met.
const maxHeld = 64

// NewGate returns a gate; M and K of 0 mean 1, and M > K is clamped to K.
func NewGate(cfg GateConfig) *Gate {
	cfg.M, cfg.K = max(cfg.M, 1), max(cfg.K, 1)
	cfg.M = min(cfg.M, cfg.K)
	return &Gate{cfg: cfg, slots: make([]bool, cfg.K)}
}

// Passes reports whether e passes the SNR and power gates.
func (g *Gate) Passes(e detect.Emission) bool {
	if e.Tech == detect.Clutter || e.SNRdB < g.cfg.MinSNRdB {
		return false
	}
	if p := g.cfg.MinPowerDBm; p != nil && e.HasDBm && e.PowerDBm < *p {
		return false
	}
	return true
}

// Evidence records e (which passed) in the current sweep and returns the
// emissions to hand to the engine: none while persistence is not met
// (e is held), else the held ones, oldest first, then e.
func (g *Gate) Evidence(e Evidence) []Evidence {
	g.slots[g.cur] = true
	n := 0
	for _, s := range g.slots {
		if s {
			n++
		}
	}
	if n < g.cfg.M {
		if len(g.held) == maxHeld {
			g.held = append(g.held[:0], g.held[1:]...)
		}
		g.held = append(g.held, held{ev: e})
		return nil
	}
	out := make([]Evidence, 0, len(g.held)+1)
	for _, h := range g.held {
		out = append(out, h.ev)
	}
	g.held = g.held[:0]
	return append(out, e)
}

// EndSweep closes the current sweep: the ring moves on, and held evidence
// older than K sweeps is forgotten.
func (g *Gate) EndSweep() {
	g.cur = (g.cur + 1) % g.cfg.K
	g.slots[g.cur] = false
	keep := g.held[:0]
	for _, h := range g.held {
		h.sweep++
		if h.sweep < g.cfg.K {
			keep = append(keep, h)
		}
	}
	g.held = keep
}
