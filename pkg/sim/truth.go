package sim

import (
	"cmp"
	"encoding/json"
	"io"
	"math"
	"slices"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
)

// TruthRecord is one transmission: a GSM burst (KindGSMBurst, KindGSMRACH),
// an LTE PUSCH subframe (KindLTESubframe), one PUCCH slot on one carrier
// edge (KindPUCCH: a PUCCH subframe is two records, 0.5 ms each, on opposite
// edges), a PRACH preamble (KindPRACH) or a chirp packet (KindChirp, tech
// clutter). Start and End are from the start of the stream; for GSM they are
// the half-amplitude points of the power ramps.
type TruthRecord struct {
	Emitter     string
	Tech        detect.Tech
	Kind        string
	Start, End  time.Duration
	FreqHz      float64 // centre of the occupied band
	BandwidthHz float64 // occupied width (GSM: the 200 kHz channel)
	PowerDBm    float64 // received at the sensor, mean over the transmission
	Cell, Zone  string
}

// ActivityRecord summarises one occurrence of an activity: from its first
// transmission's start to its last one's end (for LTE this includes the
// PUCCH tail), with the count of transmissions it made.
type ActivityRecord struct {
	Emitter     string
	Tech        detect.Tech
	Kind        string // call, sms, data, chirp
	Occurrence  int
	Start, End  time.Duration
	FreqHz      float64 // GSM channel / LTE carrier / chirp centre
	BandwidthHz float64
	Bursts      int
	Cell, Zone  string
}

// EmitterInfo is the static link budget of one emitter.
type EmitterInfo struct {
	ID          string
	Tech        detect.Tech
	Cell, Zone  string
	X, Y        float64
	FreqHz      float64
	BandwidthHz float64 // LTE carrier, GSM channel, chirp width
	TxPowerDBm  float64 // as in Phone (LTE: per RB)
	PathLossDB  float64 // incl. walls and ExtraLossDB
	// RxPowerDBm and SNRdB are in-channel at the sensor, in
	// SNRBandwidthHz: GSM the whole burst power over 200 kHz of noise,
	// LTE one RB over 180 kHz (the same for every allocation below the
	// 23 dBm cap), chirps over their bandwidth.
	RxPowerDBm     float64
	SNRdB          float64
	SNRBandwidthHz float64
	// PerSensor is the link to every sensor of the scene, in SensorList
	// order (for clutter and carriers, given at the sensor: the same
	// everywhere).
	PerSensor []SensorLink
}

// SensorLink is an emitter's link budget to one sensor.
type SensorLink struct {
	Sensor, Zone string
	PathLossDB   float64
	RxPowerDBm   float64 // in SNRBandwidthHz, like EmitterInfo.RxPowerDBm
	SNRdB        float64
}

// linkOffsets returns, per sensor, the dB to add to a power received at the
// rendered sensor to get the power at that sensor.
func (s *Simulator) linkOffsets(e *emitter) []float64 {
	out := make([]float64, len(e.info.PerSensor))
	for i, l := range e.info.PerSensor {
		out[i] = l.RxPowerDBm - e.info.RxPowerDBm
	}
	return out
}

// PowerAtSensors returns r's received power (dBm) at every sensor of the
// scene, in SensorList order.
func (s *Simulator) PowerAtSensors(r TruthRecord) []float64 {
	for _, e := range s.emitters {
		if e.id == r.Emitter {
			off := s.linkOffsets(e)
			for i := range off {
				off[i] += r.PowerDBm
			}
			return off
		}
	}
	return nil
}

// fillLinks computes e's PerSensor from its path loss to each sensor
// (fixed received power for emitters placed at no position).
func (s *Simulator) fillLinks(e *emitter) {
	in := &e.info
	for _, se := range s.sc.SensorList() {
		l := SensorLink{Sensor: se.Name, Zone: se.Zone, RxPowerDBm: in.RxPowerDBm}
		noise := -174 + se.noiseFigure() + 10*math.Log10(in.SNRBandwidthHz)
		if p := e.phone; p != nil {
			l.PathLossDB = s.sc.PathLossAtDB(se, p.X, p.Y, p.FreqHz) + p.ExtraLossDB + s.sc.shadowDB(p.ID, se.Name)
			l.RxPowerDBm = in.RxPowerDBm + in.PathLossDB - l.PathLossDB
		}
		l.SNRdB = l.RxPowerDBm - noise
		in.PerSensor = append(in.PerSensor, l)
	}
}

func (s *Simulator) phoneInfo(e *emitter, pl float64) EmitterInfo {
	p := e.phone
	in := EmitterInfo{ID: p.ID, Tech: p.Tech, Cell: e.cell, Zone: e.zone, X: p.X, Y: p.Y,
		FreqHz: p.FreqHz, BandwidthHz: p.BandwidthHz, TxPowerDBm: p.TxPowerDBm, PathLossDB: pl}
	in.SNRBandwidthHz = 180e3
	switch p.Tech {
	case detect.GSM:
		in.BandwidthHz, in.SNRBandwidthHz = 200e3, 200e3
	case detect.UMTS:
		in.BandwidthHz, in.SNRBandwidthHz = 5e6, umtsChipRate
	}
	in.RxPowerDBm = p.TxPowerDBm - pl
	in.SNRdB = in.RxPowerDBm - s.NoiseDBm(in.SNRBandwidthHz)
	return in
}

// Emitters returns the link budget of every phone and chirper.
func (s *Simulator) Emitters() []EmitterInfo {
	out := make([]EmitterInfo, len(s.emitters))
	for i, e := range s.emitters {
		out[i] = e.info
	}
	return out
}

// Truth returns every transmission that started before Now, ordered by start.
func (s *Simulator) Truth() []TruthRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.truthBetween(0, s.now(), true)
}

// TruthBetween returns the transmissions overlapping [t0, t1), ordered by
// start, including those scheduled beyond Now: the schedule is fixed by the
// seed, so the future is known.
func (s *Simulator) TruthBetween(t0, t1 time.Duration) []TruthRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.truthBetween(t0, t1, false)
}

func (s *Simulator) truthBetween(t0, t1 time.Duration, startedOnly bool) []TruthRecord {
	var out []TruthRecord
	for _, e := range s.emitters {
		for _, st := range e.streams {
			s.expand(e, st, t1)
			for _, o := range st.occs {
				if o.end <= t0 || o.start >= t1 {
					continue
				}
				keep := o.txs != nil
				for _, t := range s.txsOf(e, st, o) {
					if t.start < t1 && (!startedOnly && t.end > t0 || startedOnly && t.start >= t0) {
						out = append(out, TruthRecord{Emitter: e.id, Tech: e.tech, Kind: t.kind.String(),
							Start: t.start, End: t.end, FreqHz: t.freqHz, BandwidthHz: t.bwHz,
							PowerDBm: t.powerDBm, Cell: e.cell, Zone: e.zone})
					}
				}
				if !keep && o.end < s.now()-2*time.Second {
					o.txs = nil // don't keep re-planned history in memory
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b TruthRecord) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Emitter, b.Emitter))
	})
	return out
}

// Activities returns the activity occurrences that started before Now.
func (s *Simulator) Activities() []ActivityRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activitiesBetween(0, s.now())
}

// ActivitiesBetween returns the activity occurrences overlapping [t0, t1),
// including scheduled ones.
func (s *Simulator) ActivitiesBetween(t0, t1 time.Duration) []ActivityRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activitiesBetween(t0, t1)
}

func (s *Simulator) activitiesBetween(t0, t1 time.Duration) []ActivityRecord {
	var out []ActivityRecord
	for _, e := range s.emitters {
		bw := e.info.BandwidthHz
		for _, st := range e.streams {
			s.expand(e, st, t1)
			for _, o := range st.occs {
				if o.nTx == 0 || o.start >= t1 || o.end <= t0 {
					continue
				}
				out = append(out, ActivityRecord{Emitter: e.id, Tech: e.tech, Kind: st.act.Kind,
					Occurrence: o.index, Start: o.start, End: o.end, FreqHz: e.freqHz, BandwidthHz: bw,
					Bursts: o.nTx, Cell: e.cell, Zone: e.zone})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b ActivityRecord) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Emitter, b.Emitter))
	})
	return out
}

// JSON forms: seconds, snake_case, like the emission record (design.md §4).
type (
	jsonTruth struct {
		Scene        string         `json:"scene"`
		Seed         int64          `json:"seed"`
		SampleRate   float64        `json:"sample_rate"`
		DurationS    float64        `json:"duration_s"`
		Sensor       jsonSensor     `json:"sensor"`
		Sensors      []jsonSensor   `json:"sensors"`
		Events       []jsonEvent    `json:"events,omitempty"`
		Carriers     []jsonCarrier  `json:"carriers,omitempty"`
		NoiseDBmHz   float64        `json:"noise_dbm_per_hz"`
		FullScaleDBm float64        `json:"full_scale_dbm"`
		SpursHz      []float64      `json:"spurs_hz,omitempty"`
		Emitters     []jsonEmitter  `json:"emitters"`
		Activities   []jsonActivity `json:"activities"`
		Tx           []jsonTx       `json:"transmissions"`
	}
	jsonSensor struct {
		Name string  `json:"name"`
		Zone string  `json:"zone"`
		X    float64 `json:"x_m"`
		Y    float64 `json:"y_m"`
	}
	jsonEvent struct {
		Kind   string  `json:"kind"`
		AtS    float64 `json:"at_s"`
		UntilS float64 `json:"until_s,omitempty"`
		LossDB float64 `json:"loss_db,omitempty"`
		LowHz  float64 `json:"low_hz,omitempty"`
		HighHz float64 `json:"high_hz,omitempty"`
		RiseDB float64 `json:"rise_db,omitempty"`
	}
	jsonCarrier struct {
		Name        string  `json:"name"`
		Kind        string  `json:"kind"`
		FreqHz      float64 `json:"freq_hz"`
		BandwidthHz float64 `json:"bandwidth_hz"`
		RxPowerDBm  float64 `json:"rx_power_dbm"`
		StartS      float64 `json:"start_s"`
		UntilS      float64 `json:"until_s,omitempty"`
	}
	jsonLink struct {
		Sensor     string  `json:"sensor"`
		Zone       string  `json:"zone"`
		PathLossDB float64 `json:"path_loss_db"`
		RxPowerDBm float64 `json:"rx_power_dbm"`
		SNRdB      float64 `json:"snr_db"`
	}
	jsonEmitter struct {
		ID          string      `json:"id"`
		Tech        detect.Tech `json:"tech"`
		Cell        string      `json:"cell,omitempty"`
		Zone        string      `json:"zone,omitempty"`
		X           float64     `json:"x_m"`
		Y           float64     `json:"y_m"`
		FreqHz      float64     `json:"freq_hz"`
		BandwidthHz float64     `json:"bandwidth_hz"`
		TxPowerDBm  float64     `json:"tx_power_dbm"`
		PathLossDB  float64     `json:"path_loss_db"`
		RxPowerDBm  float64     `json:"rx_power_dbm"`
		SNRdB       float64     `json:"snr_db"`
		SNRBwHz     float64     `json:"snr_bandwidth_hz"`
		PerSensor   []jsonLink  `json:"per_sensor"`
	}
	jsonActivity struct {
		Emitter     string      `json:"emitter"`
		Tech        detect.Tech `json:"tech"`
		Kind        string      `json:"kind"`
		Occurrence  int         `json:"occurrence"`
		StartS      float64     `json:"start_s"`
		EndS        float64     `json:"end_s"`
		FreqHz      float64     `json:"freq_hz"`
		BandwidthHz float64     `json:"bandwidth_hz"`
		Bursts      int         `json:"bursts"`
		Cell        string      `json:"cell,omitempty"`
		Zone        string      `json:"zone,omitempty"`
	}
	jsonTx struct {
		Emitter     string      `json:"emitter"`
		Tech        detect.Tech `json:"tech"`
		Kind        string      `json:"kind"`
		StartS      float64     `json:"start_s"`
		EndS        float64     `json:"end_s"`
		FreqHz      float64     `json:"freq_hz"`
		BandwidthHz float64     `json:"bandwidth_hz"`
		PowerDBm    float64     `json:"power_dbm"`
		Cell        string      `json:"cell,omitempty"`
		Zone        string      `json:"zone,omitempty"`
		// SensorPowers: in a multi-sensor scene, the power at each sensor
		// of "sensors", in that order.
		SensorPowers []float64 `json:"sensor_power_dbm,omitempty"`
	}
)

func r2(x float64) float64 { return math.Round(x*100) / 100 }

// WriteTruthJSON writes the scene's link budgets and everything transmitted
// so far (Activities and Truth) as one JSON document. Times are seconds
// (start_s, end_s), powers dBm. Per-burst truth grows by ~220 records per
// second of GSM call; use TruthBetween for windows of long runs.
func (s *Simulator) WriteTruthJSON(w io.Writer) error {
	s.mu.Lock()
	now := s.now()
	acts := s.activitiesBetween(0, now)
	txs := s.truthBetween(0, now, true)
	s.mu.Unlock()
	sc := s.sc
	doc := jsonTruth{
		Scene: sc.Name, Seed: sc.Seed, SampleRate: s.fs, DurationS: now.Seconds(),
		Sensor:       jsonSensor{sc.Sensor.Name, sc.Sensor.Zone, sc.Sensor.X, sc.Sensor.Y},
		Sensors:      []jsonSensor{},
		NoiseDBmHz:   -174 + sc.Sensor.noiseFigure(),
		FullScaleDBm: s.fsDBm,
		Emitters:     []jsonEmitter{},
		Activities:   make([]jsonActivity, 0, len(acts)),
		Tx:           make([]jsonTx, 0, len(txs)),
	}
	if sc.Spurs {
		doc.SpursHz = Spurs(24e6, 1766e6)
	}
	multi := len(sc.SensorList()) > 1
	for _, se := range sc.SensorList() {
		doc.Sensors = append(doc.Sensors, jsonSensor{se.Name, se.Zone, se.X, se.Y})
	}
	for _, e := range sc.Events {
		doc.Events = append(doc.Events, jsonEvent{e.Kind, e.At.Seconds(), e.Until.Seconds(), e.LossDB, e.LowHz, e.HighHz, e.RiseDB})
	}
	for _, c := range sc.Carriers {
		doc.Carriers = append(doc.Carriers, jsonCarrier{c.Name, c.Kind, c.FreqHz, c.occupiedHz(), c.RxPowerDBm, c.Start.Seconds(), c.Until.Seconds()})
	}
	offsets := map[string][]float64{}
	for _, em := range s.emitters {
		offsets[em.id] = s.linkOffsets(em)
	}
	for _, e := range s.Emitters() {
		links := make([]jsonLink, 0, len(e.PerSensor))
		for _, l := range e.PerSensor {
			links = append(links, jsonLink{l.Sensor, l.Zone, r2(l.PathLossDB), r2(l.RxPowerDBm), r2(l.SNRdB)})
		}
		doc.Emitters = append(doc.Emitters, jsonEmitter{e.ID, e.Tech, e.Cell, e.Zone, e.X, e.Y, e.FreqHz,
			e.BandwidthHz, e.TxPowerDBm, r2(e.PathLossDB), r2(e.RxPowerDBm), r2(e.SNRdB), e.SNRBandwidthHz, links})
	}
	for _, a := range acts {
		doc.Activities = append(doc.Activities, jsonActivity{a.Emitter, a.Tech, a.Kind, a.Occurrence,
			a.Start.Seconds(), a.End.Seconds(), a.FreqHz, a.BandwidthHz, a.Bursts, a.Cell, a.Zone})
	}
	for _, t := range txs {
		var per []float64
		if multi {
			per = make([]float64, len(offsets[t.Emitter]))
			for i, o := range offsets[t.Emitter] {
				per[i] = r2(t.PowerDBm + o)
			}
		}
		doc.Tx = append(doc.Tx, jsonTx{t.Emitter, t.Tech, t.Kind, t.Start.Seconds(), t.End.Seconds(),
			t.FreqHz, t.BandwidthHz, r2(t.PowerDBm), t.Cell, t.Zone, per})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(doc)
}
