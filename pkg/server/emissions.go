package server

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Emission is one handset emission in the daemon form of the design.md §4
// record: wall-clock first_seen/last_seen instead of stream offsets, who saw
// it (site, sensor, zone, source) and power_dbm when the receiver is
// calibrated.
type Emission struct {
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Site        string    `json:"site"`
	Sensor      string    `json:"sensor"`
	Zone        string    `json:"zone"`
	Source      string    `json:"source"`
	FreqHz      float64   `json:"freq_hz"`
	BandwidthHz float64   `json:"bandwidth_hz"`
	Tech        string    `json:"tech"`
	Band        string    `json:"band"`
	Bursts      int       `json:"bursts"`
	SNRdB       float64   `json:"snr_db"`
	PowerDBFS   float64   `json:"power_dbfs"`
	PowerDBm    *float64  `json:"power_dbm,omitempty"`
}

// EmissionLog keeps the most recent emissions in a fixed-size ring: the
// daemon adds, the API reads copies. Memory stays bounded however busy the
// corridor is; older emissions live on in the alerts and the logs.
type EmissionLog struct {
	mu   sync.Mutex
	ring []Emission
	next int // where the next emission goes
	full bool
}

// DefaultEmissionLogSize is how many emissions the API can show.
const DefaultEmissionLogSize = 1000

// NewEmissionLog keeps the last size emissions (size ≥ 1).
func NewEmissionLog(size int) *EmissionLog {
	return &EmissionLog{ring: make([]Emission, max(size, 1))}
}

// Add records an emission, dropping the oldest when the ring is full.
func (l *EmissionLog) Add(e Emission) {
	l.mu.Lock()
	l.ring[l.next] = e
	l.next++
	if l.next == len(l.ring) {
		l.next, l.full = 0, true
	}
	l.mu.Unlock()
}

// Recent returns the emissions f accepts, newest first, at most limit.
func (l *EmissionLog) Recent(f EmissionFilter, limit int) []Emission {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.next
	if l.full {
		n = len(l.ring)
	}
	out := []Emission{}
	for i := 0; i < n && len(out) < limit; i++ {
		e := l.ring[(l.next-1-i+len(l.ring))%len(l.ring)]
		if f.accepts(e) {
			out = append(out, e)
		}
	}
	return out
}

// EmissionFilter selects emissions; zero fields select everything.
type EmissionFilter struct {
	Zone, Band, Tech string
	// Since and Until bound last_seen (inclusive) and first_seen
	// (exclusive): an emission is kept when it overlaps [Since, Until).
	Since, Until time.Time
}

func (f EmissionFilter) accepts(e Emission) bool {
	switch {
	case f.Zone != "" && e.Zone != f.Zone,
		f.Band != "" && e.Band != f.Band,
		f.Tech != "" && e.Tech != f.Tech,
		!f.Since.IsZero() && e.LastSeen.Before(f.Since),
		!f.Until.IsZero() && !e.FirstSeen.Before(f.Until):
		return false
	}
	return true
}

// Query parameters of /api/v1/emissions.
const (
	defaultEmissionLimit = 100
	maxEmissionLimit     = DefaultEmissionLogSize
)

var emissionParams = []string{"zone", "band", "tech", "since", "until", "limit"}

// parseEmissionQuery reads the filter and limit; the error names the
// parameter and its value, for a 400 reply.
func parseEmissionQuery(q url.Values, now time.Time) (EmissionFilter, int, error) {
	var f EmissionFilter
	limit := defaultEmissionLimit
	for k, vs := range q {
		if !slices.Contains(emissionParams, k) {
			return f, 0, fmt.Errorf("unknown query parameter %q (known: %s)", k, strings.Join(emissionParams, ", "))
		}
		if len(vs) > 1 {
			return f, 0, fmt.Errorf("query parameter %q is given %d times; give it once", k, len(vs))
		}
	}
	f.Zone, f.Band, f.Tech = q.Get("zone"), q.Get("band"), q.Get("tech")
	var err error
	if f.Since, err = parseTimeParam("since", q.Get("since"), now); err != nil {
		return f, 0, err
	}
	if f.Until, err = parseTimeParam("until", q.Get("until"), now); err != nil {
		return f, 0, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, 0, fmt.Errorf("since=%s is not before until=%s", q.Get("since"), q.Get("until"))
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxEmissionLimit {
			return f, 0, fmt.Errorf("limit=%q is not a whole number from 1 to %d", s, maxEmissionLimit)
		}
		limit = n
	}
	return f, limit, nil
}

// parseTimeParam accepts an RFC 3339 time ("2026-11-25T12:00:00Z"), Unix
// seconds ("1764072000", as Prometheus's API does) or a duration before now
// ("15m").
func parseTimeParam(name, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if sec, err := strconv.ParseFloat(s, 64); err == nil && sec >= 0 && sec < 1e11 {
		return time.Unix(0, int64(sec*1e9)), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%s=%q is neither an RFC 3339 time (2026-11-25T12:00:00Z), Unix seconds nor a positive duration before now (15m)", name, s)
}

func (s *Server) serveEmissions(w http.ResponseWriter, r *http.Request) {
	f, limit, err := parseEmissionQuery(r.URL.Query(), time.Now())
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, err)
		return
	}
	writeAPIData(w, map[string]any{"emissions": s.emissions.Recent(f, limit)})
}
