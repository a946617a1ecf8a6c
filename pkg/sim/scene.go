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
	Name string `yaml:"name"`
	Seed int64  `yaml:"seed"`

	Sensor Sensor `yaml:"-"`
	Cells  []Cell `yaml:"cells"`
	Walls  []Wall `yaml:"walls"`

	// PathLossExponent n of the log-distance model
	// PL(d) = FSPL(1 m, f) + 10·n·log10(d/1 m) + Σ walls; 0 means 2.8.
	PathLossExponent float64 `yaml:"path_loss_exponent"`
	// ShadowingDB is the standard deviation of log-normal shadowing: each
	// phone–sensor link gets its own fixed N(0, σ) dB on top of the path
	// loss (indoors 3–8 dB, outdoors ~8 dB; domain.md §4.1). 0 means none.
	ShadowingDB float64 `yaml:"shadowing_db"`

	Phones   []Phone   `yaml:"phones"`
	Chirpers []Chirper `yaml:"chirpers"`
	// Carriers are continuous emitters: base-station downlink leaking in,
	// CW carriers (RFID readers, alarms). Tetras are TETRA handsets.
	Carriers []Carrier `yaml:"carriers"`
	Tetras   []Tetra   `yaml:"tetras"`
	// Events change the scene from a time on: antenna cut, jammer.
	Events []Event `yaml:"events"`

	// Sensors lists every sensor of a multi-sensor scene; Sensor is the one
	// whose stream is rendered (ForSensor picks it). Empty means Sensor is
	// the only one.
	Sensors []Sensor `yaml:"sensors"`

	// Spurs adds the RTL-SDR's 28.8 MHz reference harmonics as CW tones of
	// SpurDBm (input-referred; 0 means DefaultSpurDBm).
	Spurs   bool    `yaml:"spurs"`
	SpurDBm float64 `yaml:"spur_dbm"`
	// DCOffset adds a constant complex offset of DCOffsetDBFS (0 means
	// DefaultDCOffsetDBFS) at the tuned centre, like the RTL's LO leakage.
	DCOffset     bool    `yaml:"dc_offset"`
	DCOffsetDBFS float64 `yaml:"dc_offset_dbfs"`
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
	// FullScaleAtZeroGainDBm is the 8-bit full scale at 0 dB tuner gain;
	// at 40.2 dB it gives about DefaultFullScaleDBm, at 49.6 dB −77 dBm
	// (thermal floor ≈ −27 dBFS, about 6 LSB rms per rail).
	FullScaleAtZeroGainDBm = -27.4
	// SecondStageNFdB is the noise figure of the stages after the tuner's
	// gain (mixer, IF, ADC) referred to their input.
	SecondStageNFdB = 30.0
	// MaxGainDB is the top of the R820T gain table.
	MaxGainDB = 49.6
)

// Sensor is the receiver: an RTL-SDR with a fixed manual gain.
type Sensor struct {
	Name string  `yaml:"name"`
	Zone string  `yaml:"zone"`
	X    float64 `yaml:"x"`
	Y    float64 `yaml:"y"` // m
	// NoiseFigureDB of the receiver; 0 means DefaultNoiseFigureDB.
	NoiseFigureDB float64 `yaml:"noise_figure_db"`
	// FullScaleDBm is the input power (dBm) of a complex signal of power 1.0,
	// i.e. a CW tone whose I and Q just reach the 8-bit full scale ±127.5. It
	// stands for the gain setting; 0 means DefaultFullScaleDBm, which puts
	// the thermal floor of a 2.4 MS/s capture about 1.3 LSB rms per rail.
	FullScaleDBm float64 `yaml:"full_scale_dbm"`
	// GainDB, when > 0, is the tuner's manual gain (R820T, 0–49.6 dB): it
	// sets the full scale (FullScaleAtZeroGainDBm − GainDB) and raises the
	// noise figure at low gain (Friis, second stage SecondStageNFdB); it
	// overrides FullScaleDBm.
	GainDB float64 `yaml:"gain_db"`
	// IQGainDB and IQPhaseDeg are the I/Q amplitude and phase imbalance
	// (they mirror every signal as an image at −f, ~30 dB down for 0.3 dB
	// and 2°).
	IQGainDB   float64 `yaml:"iq_gain_db"`
	IQPhaseDeg float64 `yaml:"iq_phase_deg"`
	// EdgeDroop passes the stream through the RTL2832's decimation
	// roll-off: flat to ±0.3·fs, −3 dB near ±0.42·fs.
	EdgeDroop bool `yaml:"edge_droop"`
	// SettleTau, when > 0, makes every retune unsettled: for ~6·SettleTau
	// the PLL is off frequency, the gain recovers and the DC offset jumps.
	SettleTau time.Duration `yaml:"settle_tau"`
	// IIP3DBm, when non-zero, is the receiver's input third-order
	// intercept (dBm): the scene's carriers then mix in the tuner into
	// third-order products (IntermodProducts) that can land in uplink
	// bands though the carriers lie outside the capture (domain.md §4.3).
	// 0 means a linear receiver.
	IIP3DBm float64 `yaml:"iip3_dbm"`
}

// Cell is a room of the floor plan: an axis-aligned rectangle.
type Cell struct {
	Name string  `yaml:"name"`
	Zone string  `yaml:"zone"`
	X    float64 `yaml:"x"`
	Y    float64 `yaml:"y"`
	W    float64 `yaml:"w"`
	H    float64 `yaml:"h"` // m: lower-left corner, width (x) and height (y)
}

// Contains reports whether (x, y) lies inside c (edges included).
func (c Cell) Contains(x, y float64) bool {
	return x >= c.X && x <= c.X+c.W && y >= c.Y && y <= c.Y+c.H
}

// Wall is a straight wall segment; a path crossing it loses LossDB.
type Wall struct {
	X1     float64 `yaml:"x1"`
	Y1     float64 `yaml:"y1"`
	X2     float64 `yaml:"x2"`
	Y2     float64 `yaml:"y2"` // m
	LossDB float64 `yaml:"loss_db"`
}

// Phone is a handset. Its transmissions follow its Schedule; a phone with an
// empty schedule stays silent.
type Phone struct {
	ID   string      `yaml:"id"`
	Tech detect.Tech `yaml:"tech"` // detect.GSM, LTE, UMTS or NR
	X    float64     `yaml:"x"`
	Y    float64     `yaml:"y"` // m
	// Cell is the room the phone is in; empty means the Cell containing
	// (X, Y), or none.
	Cell string `yaml:"cell"`
	// TxPowerDBm: GSM, the burst power (5…33 dBm at 900 MHz). LTE, the power
	// per resource block (power control's P_O + α·PL); a transmission on M
	// RBs sends min(MaxPowerDBm, TxPowerDBm + 10·log10 M), so the in-channel
	// SNR per RB does not depend on the allocation.
	TxPowerDBm float64 `yaml:"tx_power_dbm"`
	// FreqHz: GSM, the uplink ARFCN centre; LTE, the uplink carrier centre.
	FreqHz float64 `yaml:"freq_hz"`
	// BandwidthHz: LTE carrier width (1.4, 3, 5, 10, 15 or 20 MHz), NR
	// (5, 10, 15 or 20 MHz); unused for GSM and UMTS (5 MHz).
	BandwidthHz float64 `yaml:"bandwidth_hz"`
	// ExtraLossDB is added to the path loss (body, pocket, furniture).
	ExtraLossDB float64 `yaml:"extra_loss_db"`
	// InactivityTimer (LTE): how long PUCCH goes on after the last data;
	// 0 means DefaultInactivityTimer.
	InactivityTimer time.Duration `yaml:"inactivity_timer"`
	Schedule        []Activity    `yaml:"schedule"`

	// HopFreqsHz (GSM) is the hopping list (mobile allocation): burst of
	// TDMA frame FN goes out on HopFreqsHz[(FN + MAIO) mod N] (cyclic
	// hopping, HSN 0; TS 45.002 §6.2.3). FreqHz stays the RACH/BCCH
	// channel. Empty means no hopping.
	HopFreqsHz []float64 `yaml:"hop_freqs_hz"`
	// PowerControl (GSM) sends the RACH at MS_TXPWR_MAX_CCH (33 dBm below
	// 1 GHz, 30 dBm above) and starts the dedicated channel at that power,
	// stepping 2 dB per 60 ms down to TxPowerDBm (TS 45.008 §4.7).
	PowerControl bool `yaml:"power_control"`
	// DTX (GSM) stops the TCH bursts of a call during speech pauses but for
	// the SACCH and SID frames (~12 bursts per 480 ms).
	DTX bool `yaml:"dtx"`
	// MaxRBs (LTE, NR) is the largest PUSCH grant of a data session; 0
	// means 12 (small grants that keep the demo unclipped).
	MaxRBs int `yaml:"max_rbs"`
	// SRSPeriod (LTE, NR) sends a sounding reference symbol every period
	// while connected (2…320 ms); 0 means none.
	SRSPeriod time.Duration `yaml:"srs_period"`
}

// Activity kinds.
const (
	Call = "call"
	SMS  = "sms"
	Data = "data"
	// Update is a periodic location update (GSM: RACH + ~0.7 s SDCCH) or
	// tracking-area update (LTE/NR: PRACH, a few PUSCH, the connected tail).
	Update = "update"
	// KeepAlive is an app's keep-alive or push heartbeat (LTE/NR/UMTS): a
	// short exchange followed by the ~10 s connected tail.
	KeepAlive = "keepalive"
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
	Kind     string        `yaml:"kind"`
	Start    time.Duration `yaml:"start"`
	Duration time.Duration `yaml:"duration"`
	// Every > 0 makes the activity recur at Start + i·Every, i = 0, 1, …
	// (forever); 0 means once.
	Every time.Duration `yaml:"every"`
}

// Chirper is a LoRa-like clutter source (EU868 SRD): packets of 8 preamble
// up-chirps, 2.25 sync down-chirps and Symbols payload chirps.
type Chirper struct {
	Name        string        `yaml:"name"`
	FreqHz      float64       `yaml:"freq_hz"`
	BandwidthHz float64       `yaml:"bandwidth_hz"` // 0 means 125 kHz
	SF          int           `yaml:"sf"`           // spreading factor 7…12; 0 means 7
	Symbols     int           `yaml:"symbols"`      // payload chirps per packet; 0 means 20
	Start       time.Duration `yaml:"start"`
	Period      time.Duration `yaml:"period"`       // packet period; must be > the packet length
	RxPowerDBm  float64       `yaml:"rx_power_dbm"` // received at the sensor (it is outside the plan)
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

// nrRBs maps an NR channel bandwidth (15 kHz SCS, FR1) to its RBs
// (TS 38.101-1 Table 5.3.2-1).
func nrRBs(bw float64) int {
	switch math.Round(bw / 1e6) {
	case 5:
		return 25
	case 10:
		return 52
	case 15:
		return 79
	case 20:
		return 106
	}
	return 0
}

func (sc *Scene) exponent() float64 {
	if sc.PathLossExponent > 0 {
		return sc.PathLossExponent
	}
	return DefaultPathLossExponent
}

// noiseFigure is the receiver's noise figure: the front end's, degraded at
// low manual gain by the stages after it (Friis: F = F1 + (F2 − 1)/G;
// domain.md §4.4: NF rises sharply at low gain).
func (s *Sensor) noiseFigure() float64 {
	nf := DefaultNoiseFigureDB
	if s.NoiseFigureDB > 0 {
		nf = s.NoiseFigureDB
	}
	if s.GainDB > 0 {
		f1, f2, g := math.Pow(10, nf/10), math.Pow(10, SecondStageNFdB/10), math.Pow(10, s.GainDB/10)
		nf = 10 * math.Log10(f1+(f2-1)/g)
	}
	return nf
}

func (s *Sensor) fullScale() float64 {
	if s.GainDB > 0 {
		return FullScaleAtZeroGainDBm - s.GainDB
	}
	if s.FullScaleDBm != 0 {
		return s.FullScaleDBm
	}
	return DefaultFullScaleDBm
}

// PathLossDB is the loss (dB) from (x, y) to the scene's Sensor at freqHz:
// free space at 1 m, log-distance beyond, plus every wall the straight path
// crosses.
func (sc *Scene) PathLossDB(x, y, freqHz float64) float64 {
	return sc.PathLossAtDB(sc.Sensor, x, y, freqHz)
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
		where := fmt.Sprintf("phones[%d] (%q)", i, p.ID)
		if p.ID == "" {
			errs = append(errs, fmt.Errorf("phones[%d]: empty id", i))
		}
		if ids[p.ID] {
			errs = append(errs, fmt.Errorf("%s: duplicate id", where))
		}
		ids[p.ID] = true
		if p.FreqHz <= 0 {
			errs = append(errs, fmt.Errorf("%s: freq_hz must be > 0", where))
		}
		if p.Cell != "" {
			if c, ok := sc.cellAt(p.Cell, 0, 0); !ok {
				errs = append(errs, fmt.Errorf("%s: unknown cell %q", where, p.Cell))
			} else if !c.Contains(p.X, p.Y) {
				errs = append(errs, fmt.Errorf("%s: cell %q does not contain x %g, y %g", where, p.Cell, p.X, p.Y))
			}
		}
		switch p.Tech {
		case detect.GSM:
			for _, f := range p.HopFreqsHz {
				if f <= 0 || math.Abs(f-p.FreqHz) > 75e6 {
					errs = append(errs, fmt.Errorf("%s: hopping frequency %g Hz is not in the band of freq_hz %g", where, f, p.FreqHz))
				}
			}
		case detect.LTE:
			if lteRBs(p.BandwidthHz) == 0 {
				errs = append(errs, fmt.Errorf("%s: LTE bandwidth_hz %g is not 1.4, 3, 5, 10, 15 or 20 MHz", where, p.BandwidthHz))
			}
		case detect.NR:
			if nrRBs(p.BandwidthHz) == 0 {
				errs = append(errs, fmt.Errorf("%s: NR bandwidth_hz %g is not 5, 10, 15 or 20 MHz", where, p.BandwidthHz))
			}
		case detect.UMTS:
		default:
			errs = append(errs, fmt.Errorf("%s: tech %q not simulated (want gsm, lte, umts or nr)", where, p.Tech))
		}
		if (len(p.HopFreqsHz) > 0 || p.PowerControl || p.DTX) && p.Tech != detect.GSM {
			errs = append(errs, fmt.Errorf("%s: hop_freqs_hz, power_control and dtx are for GSM phones only", where))
		}
		if p.MaxRBs < 0 || p.MaxRBs > 0 && p.Tech != detect.LTE && p.Tech != detect.NR {
			errs = append(errs, fmt.Errorf("%s: max_rbs %d: want a positive count on an LTE or NR phone", where, p.MaxRBs))
		}
		if p.SRSPeriod != 0 && (p.Tech != detect.LTE && p.Tech != detect.NR || p.SRSPeriod < 2*time.Millisecond || p.SRSPeriod > 320*time.Millisecond || p.SRSPeriod%time.Millisecond != 0) {
			errs = append(errs, fmt.Errorf("%s: srs_period %v: want whole ms in 2…320 ms on an LTE or NR phone", where, p.SRSPeriod))
		}
		for j, a := range p.Schedule {
			aw := fmt.Sprintf("%s.schedule[%d]", where, j)
			switch a.Kind {
			case Call, SMS, Update:
			case Data, KeepAlive:
				if p.Tech == detect.GSM {
					errs = append(errs, fmt.Errorf("%s: GSM %s (GPRS) is not modelled", aw, a.Kind))
				}
			default:
				errs = append(errs, fmt.Errorf("%s: unknown kind %q (want call, sms, data, update or keepalive)", aw, a.Kind))
			}
			if a.Start < 0 || a.Duration < 0 || a.Every < 0 {
				errs = append(errs, fmt.Errorf("%s: negative time", aw))
			}
			if a.Every > 0 && a.Every <= a.Duration {
				errs = append(errs, fmt.Errorf("%s: every (%v) must exceed duration (%v)", aw, a.Every, a.Duration))
			}
			if a.Every > 0 && p.Tech == detect.GSM && a.Every < 5*time.Second {
				errs = append(errs, fmt.Errorf("%s: every (%v) shorter than a GSM call/SMS set-up", aw, a.Every))
			}
		}
	}
	for i, c := range sc.Chirpers {
		cw := fmt.Sprintf("chirpers[%d] (%q)", i, c.Name)
		if c.FreqHz <= 0 {
			errs = append(errs, fmt.Errorf("%s: freq_hz must be > 0", cw))
		}
		if c.SF != 0 && (c.SF < 7 || c.SF > 12) {
			errs = append(errs, fmt.Errorf("%s: sf %d outside 7…12", cw, c.SF))
		}
		if c.Period <= chirpPacketLen(&c) {
			errs = append(errs, fmt.Errorf("%s: period %v not longer than a packet (%v)", cw, c.Period, chirpPacketLen(&c)))
		}
	}
	for i := range sc.Carriers {
		errs = append(errs, sc.Carriers[i].validate(i)...)
	}
	for i := range sc.Tetras {
		errs = append(errs, sc.Tetras[i].validate(i)...)
	}
	for i := range sc.Events {
		errs = append(errs, sc.Events[i].validate(i)...)
	}
	errs = append(errs, sc.validateSensors()...)
	return errors.Join(errs...)
}
