// Package sim is cellwatch's scene simulator: handsets in prison cells that
// make calls, send SMS and use data, the walls between them and a sensor, and
// an RTL-SDR-like receiver (thermal noise, 8-bit quantisation, DC offset,
// 28.8 MHz clock spurs). It produces the cu8 stream a dongle would deliver at
// whatever frequency it is tuned to, and records the truth: which emitter
// transmitted what, when, where and how strongly.
//
// Everything is deterministic for a scene and seed. What the emitters do
// (schedules, bursts, allocations, payload bits) is derived from the seed
// alone, never from how the stream is tuned or read, so truth is the same
// whatever the sweeper does; the receiver noise is one sequential stream, so
// the same sequence of Tune/Generate calls gives the same bytes.
//
// Model (first version; see the Phone, Activity and Scene docs for details):
//   - GSM: GMSK BT 0.3 normal bursts (156.25 bits, 576.9 µs) on one timeslot
//     per 60/13 ms TDMA frame during a call (26-multiframe idle frame left
//     out), SDCCH signalling in 51-multiframe rhythm, a RACH access burst
//     before each call or SMS. No hopping, no DTX yet.
//   - LTE: SC-FDMA (DFT-spread QPSK, DMRS on symbol 3 of each slot) PUSCH
//     subframes on a contiguous RB allocation, PUCCH slot pairs mirrored at
//     the carrier edges, PRACH format 0 (839 Zadoff-Chu tones at 1.25 kHz).
//   - Propagation: log-distance path loss from free space at 1 m plus a loss
//     per wall crossed; no fading or shadowing yet.
package sim

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
)

// Scene is a floor plan with a sensor, handsets and clutter sources.
type Scene struct {
	Name string
	Seed int64

	Sensor Sensor
	Cells  []Cell
	Walls  []Wall

	// PathLossExponent n of the log-distance model
	// PL(d) = FSPL(1 m, f) + 10·n·log10(d/1 m) + Σ walls; 0 means 2.8.
	PathLossExponent float64

	Phones   []Phone
	Chirpers []Chirper

	// Spurs adds the RTL-SDR's 28.8 MHz reference harmonics as CW tones of
	// SpurDBm (input-referred; 0 means DefaultSpurDBm).
	Spurs   bool
	SpurDBm float64
	// DCOffset adds a constant complex offset of DCOffsetDBFS (0 means
	// DefaultDCOffsetDBFS) at the tuned centre, like the RTL's LO leakage.
	DCOffset     bool
	DCOffsetDBFS float64
}

// Defaults used when the corresponding Scene field is zero.
const (
	DefaultPathLossExponent = 2.8
	DefaultSpurDBm          = -105.0
	DefaultDCOffsetDBFS     = -40.0
	DefaultNoiseFigureDB    = 6.0
	DefaultFullScaleDBm     = -67.0
	// DefaultInactivityTimer is how long an LTE phone stays RRC-connected
	// (periodic PUCCH) after its last data (domain.md §3).
	DefaultInactivityTimer = 10 * time.Second
	// SpurSpacingHz is the RTL-SDR reference clock whose harmonics leak in.
	SpurSpacingHz = 28.8e6
)

// Sensor is the receiver: an RTL-SDR with a fixed manual gain.
type Sensor struct {
	Name, Zone string
	X, Y       float64 // m
	// NoiseFigureDB of the receiver; 0 means DefaultNoiseFigureDB.
	NoiseFigureDB float64
	// FullScaleDBm is the input power (dBm) of a complex signal of power 1.0,
	// i.e. a CW tone whose I and Q just reach the 8-bit full scale ±127.5. It
	// stands for the gain setting; 0 means DefaultFullScaleDBm, which puts
	// the thermal floor of a 2.4 MS/s capture about 1.3 LSB rms per rail.
	FullScaleDBm float64
}

// Cell is a room of the floor plan: an axis-aligned rectangle.
type Cell struct {
	Name, Zone string
	X, Y, W, H float64 // m: lower-left corner, width (x) and height (y)
}

// Contains reports whether (x, y) lies inside c (edges included).
func (c Cell) Contains(x, y float64) bool {
	return x >= c.X && x <= c.X+c.W && y >= c.Y && y <= c.Y+c.H
}

// Wall is a straight wall segment; a path crossing it loses LossDB.
type Wall struct {
	X1, Y1, X2, Y2 float64 // m
	LossDB         float64
}

// Phone is a handset. Its transmissions follow its Schedule; a phone with an
// empty schedule stays silent.
type Phone struct {
	ID   string
	Tech detect.Tech // detect.GSM or detect.LTE
	X, Y float64     // m
	// Cell is the room the phone is in; empty means the Cell containing
	// (X, Y), or none.
	Cell string
	// TxPowerDBm: GSM, the burst power (5…33 dBm at 900 MHz). LTE, the power
	// per resource block (power control's P_O + α·PL); a transmission on M
	// RBs sends min(MaxPowerDBm, TxPowerDBm + 10·log10 M), so the in-channel
	// SNR per RB does not depend on the allocation.
	TxPowerDBm float64
	// FreqHz: GSM, the uplink ARFCN centre; LTE, the uplink carrier centre.
	FreqHz float64
	// BandwidthHz: LTE carrier width (1.4, 3, 5, 10, 15 or 20 MHz); unused for GSM.
	BandwidthHz float64
	// ExtraLossDB is added to the path loss (body, pocket, furniture).
	ExtraLossDB float64
	// InactivityTimer (LTE): how long PUCCH goes on after the last data;
	// 0 means DefaultInactivityTimer.
	InactivityTimer time.Duration
	Schedule        []Activity
}

// Activity kinds.
const (
	Call = "call"
	SMS  = "sms"
	Data = "data"
)

// Activity is one thing a user does with a phone.
//
// GSM: "call" = RACH, ~0.7 s SDCCH, then a TCH burst every TDMA frame until
// Start+Duration; "sms" = RACH and ~2.6 s of SDCCH (4 bursts per
// 51-multiframe), Duration unused. "data" is not modelled for GSM.
//
// LTE: every kind starts with PRACH and a Msg3 PUSCH (left out when the
// previous occurrence of a recurring activity is still connected) and ends
// with the phone's inactivity tail of periodic PUCCH. "data" sends bursts of
// 1–4 PUSCH subframes every 5–40 ms until Start+Duration; "sms" sends 3–6
// PUSCH subframes within 250 ms (Duration unused); "call" (VoLTE) sends one
// small PUSCH subframe every 20 ms until Start+Duration.
type Activity struct {
	Kind            string
	Start, Duration time.Duration
	// Every > 0 makes the activity recur at Start + i·Every, i = 0, 1, …
	// (forever); 0 means once.
	Every time.Duration
}

// Chirper is a LoRa-like clutter source (EU868 SRD): packets of 8 preamble
// up-chirps, 2.25 sync down-chirps and Symbols payload chirps.
type Chirper struct {
	Name        string
	FreqHz      float64
	BandwidthHz float64 // 0 means 125 kHz
	SF          int     // spreading factor 7…12; 0 means 7
	Symbols     int     // payload chirps per packet; 0 means 20
	Start       time.Duration
	Period      time.Duration // packet period; must be > the packet length
	RxPowerDBm  float64       // received at the sensor (it is outside the plan)
}

// LTE uplink power limit (power class 3).
const MaxPowerDBm = 23.0

// lteRBs maps an LTE channel bandwidth to its number of resource blocks.
func lteRBs(bw float64) int {
	switch math.Round(bw / 1e5) {
	case 14:
		return 6
	case 30:
		return 15
	case 50:
		return 25
	case 100:
		return 50
	case 150:
		return 75
	case 200:
		return 100
	}
	return 0
}

func (sc *Scene) exponent() float64 {
	if sc.PathLossExponent > 0 {
		return sc.PathLossExponent
	}
	return DefaultPathLossExponent
}

func (s *Sensor) noiseFigure() float64 {
	if s.NoiseFigureDB > 0 {
		return s.NoiseFigureDB
	}
	return DefaultNoiseFigureDB
}

func (s *Sensor) fullScale() float64 {
	if s.FullScaleDBm != 0 {
		return s.FullScaleDBm
	}
	return DefaultFullScaleDBm
}

// PathLossDB is the loss (dB) from (x, y) to the sensor at freqHz: free
// space at 1 m, log-distance beyond, plus every wall the straight path crosses.
func (sc *Scene) PathLossDB(x, y, freqHz float64) float64 {
	d := math.Hypot(x-sc.Sensor.X, y-sc.Sensor.Y)
	if d < 1 {
		d = 1
	}
	fspl1m := 20*math.Log10(freqHz/1e6) - 27.55
	loss := fspl1m + 10*sc.exponent()*math.Log10(d)
	for _, w := range sc.Walls {
		if segmentsCross(x, y, sc.Sensor.X, sc.Sensor.Y, w.X1, w.Y1, w.X2, w.Y2) {
			loss += w.LossDB
		}
	}
	return loss
}

// segmentsCross reports whether segment P1P2 crosses segment Q1Q2 (touching
// an end point counts).
func segmentsCross(px1, py1, px2, py2, qx1, qy1, qx2, qy2 float64) bool {
	cross := func(ax, ay, bx, by, cx, cy float64) float64 {
		return (bx-ax)*(cy-ay) - (by-ay)*(cx-ax)
	}
	d1 := cross(qx1, qy1, qx2, qy2, px1, py1)
	d2 := cross(qx1, qy1, qx2, qy2, px2, py2)
	d3 := cross(px1, py1, px2, py2, qx1, qy1)
	d4 := cross(px1, py1, px2, py2, qx2, qy2)
	return d1*d2 <= 0 && d3*d4 <= 0 && !(d1 == 0 && d2 == 0)
}

// cellAt returns the named cell, or the one containing (x, y).
func (sc *Scene) cellAt(name string, x, y float64) (Cell, bool) {
	for _, c := range sc.Cells {
		if name != "" && c.Name == name || name == "" && c.Contains(x, y) {
			return c, true
		}
	}
	return Cell{}, false
}

// Validate checks the scene for values the simulator cannot model.
func (sc *Scene) Validate() error {
	var errs []error
	ids := map[string]bool{}
	for i := range sc.Phones {
		p := &sc.Phones[i]
		where := fmt.Sprintf("phone %q", p.ID)
		if p.ID == "" {
			errs = append(errs, fmt.Errorf("phone %d: empty ID", i))
		}
		if ids[p.ID] {
			errs = append(errs, fmt.Errorf("%s: duplicate ID", where))
		}
		ids[p.ID] = true
		if p.FreqHz <= 0 {
			errs = append(errs, fmt.Errorf("%s: FreqHz must be > 0", where))
		}
		if p.Cell != "" {
			if _, ok := sc.cellAt(p.Cell, 0, 0); !ok {
				errs = append(errs, fmt.Errorf("%s: unknown cell %q", where, p.Cell))
			}
		}
		switch p.Tech {
		case detect.GSM:
		case detect.LTE:
			if lteRBs(p.BandwidthHz) == 0 {
				errs = append(errs, fmt.Errorf("%s: LTE BandwidthHz %g is not 1.4, 3, 5, 10, 15 or 20 MHz", where, p.BandwidthHz))
			}
		default:
			errs = append(errs, fmt.Errorf("%s: tech %q not simulated (want gsm or lte)", where, p.Tech))
		}
		for j, a := range p.Schedule {
			aw := fmt.Sprintf("%s activity %d", where, j)
			switch a.Kind {
			case Call, SMS:
			case Data:
				if p.Tech == detect.GSM {
					errs = append(errs, fmt.Errorf("%s: GSM data (GPRS) is not modelled", aw))
				}
			default:
				errs = append(errs, fmt.Errorf("%s: unknown kind %q (want call, sms or data)", aw, a.Kind))
			}
			if a.Start < 0 || a.Duration < 0 || a.Every < 0 {
				errs = append(errs, fmt.Errorf("%s: negative time", aw))
			}
			if a.Every > 0 && a.Every <= a.Duration {
				errs = append(errs, fmt.Errorf("%s: Every (%v) must exceed Duration (%v)", aw, a.Every, a.Duration))
			}
			if a.Every > 0 && p.Tech == detect.GSM && a.Every < 5*time.Second {
				errs = append(errs, fmt.Errorf("%s: Every (%v) shorter than a GSM call/SMS set-up", aw, a.Every))
			}
		}
	}
	for i, c := range sc.Chirpers {
		cw := fmt.Sprintf("chirper %d %q", i, c.Name)
		if c.FreqHz <= 0 {
			errs = append(errs, fmt.Errorf("%s: FreqHz must be > 0", cw))
		}
		if c.SF != 0 && (c.SF < 7 || c.SF > 12) {
			errs = append(errs, fmt.Errorf("%s: SF %d outside 7…12", cw, c.SF))
		}
		if c.Period <= chirpPacketLen(&c) {
			errs = append(errs, fmt.Errorf("%s: Period %v not longer than a packet (%v)", cw, c.Period, chirpPacketLen(&c)))
		}
	}
	return errors.Join(errs...)
}
