package server

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HopLevel is what one hop of the latest sweep saw: the slice of the band
// it owns, the learned noise floor and the strongest power in it, per
// 200 kHz channel. A sweep's hops side by side are a coarse spectrum of the
// uplink bands (one point per ~2 MHz), bounded by the hop plan's size.
type HopLevel struct {
	Device    string    `json:"device"`
	Band      string    `json:"band"`
	CenterHz  float64   `json:"center_hz"`
	LowHz     float64   `json:"low_hz"`
	HighHz    float64   `json:"high_hz"`
	Unit      string    `json:"unit"` // dBm when the receiver is calibrated, else dBFS
	Floor     *float64  `json:"floor"`
	Peak      *float64  `json:"peak"`
	Occupancy float64   `json:"occupancy_ratio"`
	Time      time.Time `json:"time"` // when the hop's dwell started
	// Bins is the slice bin by bin (~10 kHz), sent with resolution=bin.
	Bins *HopBins `json:"bins,omitempty"`
}

// HopBins is a hop's slice bin by bin, in the hop's unit per 200 kHz (so a
// flat floor reads the same as the hop's floor): bin k is centred at
// FirstHz + k·StepHz.
type HopBins struct {
	FirstHz float64 `json:"first_hz"`
	StepHz  float64 `json:"step_hz"`
	Floor   Levels  `json:"floor"`
	Peak    Levels  `json:"peak"`
}

// Levels are levels in dB, written with 0.1 dB resolution and null where a
// bin had nothing to measure (JSON has no infinities).
type Levels []float64

// MarshalJSON writes the levels compactly.
func (l Levels) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+7*len(l))
	b = append(b, '[')
	for i, v := range l {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsInf(v, 0) || math.IsNaN(v) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, math.Round(v*10)/10, 'f', -1, 64)
	}
	return append(b, ']'), nil
}

// Level turns a level into a HopLevel field: nil (JSON null) when the hop
// had nothing to measure (−Inf, NaN), since JSON has no infinities.
func Level(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

// Spectrum holds the latest level of every hop of every receiver: the
// sweep side updates a hop after each dwell, the API reads a copy.
type Spectrum struct {
	mu   sync.Mutex
	hops map[spectrumKey]*spectrumEntry
}

// spectrumEntry is a hop's latest level in storage of its own, rewritten
// in place by each Update: a sweep allocates nothing per dwell here.
type spectrumEntry struct {
	h           HopLevel
	floor, peak float64
	bins        HopBins
}

type spectrumKey struct {
	device string
	low    float64
}

// NewSpectrum makes an empty spectrum.
func NewSpectrum() *Spectrum { return &Spectrum{hops: map[spectrumKey]*spectrumEntry{}} }

// Update replaces the hop's previous level. It copies what h points to
// (Floor, Peak, Bins), so the caller may reuse those for the next hop.
func (s *Spectrum) Update(h HopLevel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := spectrumKey{h.Device, h.LowHz}
	e := s.hops[k]
	if e == nil {
		e = &spectrumEntry{}
		s.hops[k] = e
	}
	e.h = h
	if h.Floor != nil {
		e.floor, e.h.Floor = *h.Floor, &e.floor
	}
	if h.Peak != nil {
		e.peak, e.h.Peak = *h.Peak, &e.peak
	}
	if h.Bins != nil {
		e.bins.FirstHz, e.bins.StepHz = h.Bins.FirstHz, h.Bins.StepHz
		e.bins.Floor = append(e.bins.Floor[:0], h.Bins.Floor...)
		e.bins.Peak = append(e.bins.Peak[:0], h.Bins.Peak...)
		e.h.Bins = &e.bins
	}
}

// Hops returns the hops of device and band ("" for all), by device then
// frequency, with their bins when bins is true.
func (s *Spectrum) Hops(device, band string, bins bool) []HopLevel {
	s.mu.Lock()
	out := make([]HopLevel, 0, len(s.hops))
	for _, e := range s.hops {
		h := e.h
		if (device == "" || h.Device == device) && (band == "" || h.Band == band) {
			// Copies: Update rewrites the entry's storage in place.
			if h.Floor != nil {
				h.Floor = Level(*h.Floor)
			}
			if h.Peak != nil {
				h.Peak = Level(*h.Peak)
			}
			if !bins || h.Bins == nil {
				h.Bins = nil
			} else {
				h.Bins = &HopBins{FirstHz: h.Bins.FirstHz, StepHz: h.Bins.StepHz,
					Floor: slices.Clone(h.Bins.Floor), Peak: slices.Clone(h.Bins.Peak)}
			}
			out = append(out, h)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b HopLevel) int {
		return cmp.Or(strings.Compare(a.Device, b.Device), cmp.Compare(a.LowHz, b.LowHz))
	})
	return out
}

func (s *Server) serveSpectrum(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k, vs := range q {
		if k != "device" && k != "band" && k != "resolution" {
			writeAPIError(w, http.StatusBadRequest, fmt.Errorf("unknown query parameter %q (known: device, band, resolution)", k))
			return
		}
		if len(vs) > 1 {
			writeAPIError(w, http.StatusBadRequest, fmt.Errorf("query parameter %q is given %d times; give it once", k, len(vs)))
			return
		}
	}
	res := q.Get("resolution")
	if res != "" && res != "hop" && res != "bin" {
		writeAPIError(w, http.StatusBadRequest, fmt.Errorf("resolution %q: want hop (a floor and a peak per hop, the default) or bin (every ~10 kHz bin too)", res))
		return
	}
	writeAPIData(w, map[string]any{"hops": s.spectrum.Hops(q.Get("device"), q.Get("band"), res == "bin")})
}
