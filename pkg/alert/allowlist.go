package alert

import (
	"slices"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
)

// AllowRule suppresses alerts in some zones at some times: by schedule and
// place, never by phone identity (cellwatch has none and wants none).
type AllowRule struct {
	Name   string
	Zones  []string       // required
	Days   []time.Weekday // empty: every day
	From   time.Duration  // since local midnight; From == To == 0: all day
	To     time.Duration  // exclusive; To < From: the window runs past midnight
	Bands  []string       // empty: any
	Techs  []detect.Tech  // empty: any
	Reason string         // required, goes into the audit log
	Loc    *time.Location // nil: time.Local
}

// Matches reports whether an emission of band and tech in zone at t falls
// under the rule. For a window past midnight, Days names the day the
// window starts on.
func (r *AllowRule) Matches(zone, band string, tech detect.Tech, t time.Time) bool {
	if !slices.Contains(r.Zones, zone) {
		return false
	}
	if len(r.Bands) > 0 && !slices.Contains(r.Bands, band) {
		return false
	}
	if len(r.Techs) > 0 && !slices.Contains(r.Techs, tech) {
		return false
	}
	loc := r.Loc
	if loc == nil {
		loc = time.Local
	}
	t = t.In(loc)
	y, m, d := t.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
	tod := t.Sub(midnight)
	day := t.Weekday()
	switch {
	case r.From == 0 && r.To == 0: // all day
	case r.From < r.To:
		if tod < r.From || tod >= r.To {
			return false
		}
	default: // past midnight: [From, 24h) of day, or [0, To) of the next day
		if tod < r.To {
			day = (day + 6) % 7 // the window started yesterday
		} else if tod < r.From {
			return false
		}
	}
	return len(r.Days) == 0 || slices.Contains(r.Days, day)
}

// Allowlist is an ordered list of rules; the first match wins.
type Allowlist []AllowRule

// Match returns the first rule matching, or nil.
func (al Allowlist) Match(zone, band string, tech detect.Tech, t time.Time) *AllowRule {
	for i := range al {
		if al[i].Matches(zone, band, tech, t) {
			return &al[i]
		}
	}
	return nil
}
