// Package bands knows the cellular uplink band plans cellwatch listens to
// (EU, NA), the GSM ARFCN and LTE EARFCN arithmetic, and which parts of a
// band a tuner can and cannot reach. Figures come from ../shared/domain.md §1.
//
// All frequencies are in Hz. Band edges are closed intervals [ULLow, ULHigh].
package bands

import (
	"fmt"
	"sort"
	"strings"
)

// Technology names used in Band.Techs. They match the "tech" values of the
// emission record (design.md §4).
const (
	TechGSM  = "gsm"
	TechUMTS = "umts"
	TechLTE  = "lte"
	TechNR   = "nr"
)

// Band is one uplink band.
type Band struct {
	Name string // "B20"
	// Techs lists the technologies a handset may use there, in the region of
	// the plan the band belongs to (TechGSM, TechUMTS, TechLTE, TechNR).
	Techs         []string
	ULLow, ULHigh float64 // uplink edges, Hz
	DuplexHz      float64 // DL − UL; negative for reverse-duplex bands (B20, B13, B14, B71)
	Note          string
}

// Range returns the band's uplink as a Range.
func (b Band) Range() Range { return Range{LowHz: b.ULLow, HighHz: b.ULHigh, Band: b.Name} }

// Contains reports whether freqHz lies in the band's uplink (edges included).
func (b Band) Contains(freqHz float64) bool { return freqHz >= b.ULLow && freqHz <= b.ULHigh }

// HasTech reports whether tech (e.g. TechGSM) is listed for the band.
func (b Band) HasTech(tech string) bool {
	for _, t := range b.Techs {
		if t == tech {
			return true
		}
	}
	return false
}

// Range is a frequency interval [LowHz, HighHz].
type Range struct {
	LowHz, HighHz float64
	// Band names the band the range belongs to, when it comes from one.
	Band string
}

// Width returns HighHz − LowHz.
func (r Range) Width() float64 { return r.HighHz - r.LowHz }

// Contains reports whether freqHz lies in the range (edges included).
func (r Range) Contains(freqHz float64) bool { return freqHz >= r.LowHz && freqHz <= r.HighHz }

// String formats the range in MHz, prefixed with its band when known:
// "B3 1766.000–1785.000 MHz".
func (r Range) String() string {
	s := fmt.Sprintf("%.3f–%.3f MHz", r.LowHz/1e6, r.HighHz/1e6)
	if r.Band != "" {
		s = r.Band + " " + s
	}
	return s
}

// Plan is a set of non-overlapping uplink bands, in ascending frequency.
type Plan struct {
	Name  string // "eu", "na"
	Bands []Band
}

// BandAt returns the plan's band whose uplink contains freqHz.
func (p Plan) BandAt(freqHz float64) (Band, bool) {
	for _, b := range p.Bands {
		if b.Contains(freqHz) {
			return b, true
		}
	}
	return Band{}, false
}

// Band returns the plan's band with the given name (case-insensitive).
func (p Plan) Band(name string) (Band, bool) {
	for _, b := range p.Bands {
		if strings.EqualFold(b.Name, name) {
			return b, true
		}
	}
	return Band{}, false
}

// Validate checks that every band has a name and positive width and that no
// two bands overlap (a planner would otherwise sweep the overlap twice).
func (p Plan) Validate() error {
	if len(p.Bands) == 0 {
		return fmt.Errorf("plan %q has no bands", p.Name)
	}
	bs := make([]Band, len(p.Bands))
	copy(bs, p.Bands)
	for _, b := range bs {
		if b.Name == "" {
			return fmt.Errorf("plan %q: a band has no name", p.Name)
		}
		if !(b.ULLow > 0 && b.ULHigh > b.ULLow) {
			return fmt.Errorf("plan %q: band %s: uplink %g–%g Hz is not a positive, non-empty range", p.Name, b.Name, b.ULLow, b.ULHigh)
		}
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].ULLow < bs[j].ULLow })
	for i := 1; i < len(bs); i++ {
		if bs[i].ULLow <= bs[i-1].ULHigh {
			return fmt.Errorf("plan %q: bands %s (%v) and %s (%v) overlap; list each frequency once",
				p.Name, bs[i-1].Name, bs[i-1].Range(), bs[i].Name, bs[i].Range())
		}
	}
	return nil
}

func (p Plan) clone() Plan {
	q := Plan{Name: p.Name, Bands: make([]Band, len(p.Bands))}
	for i, b := range p.Bands {
		b.Techs = append([]string(nil), b.Techs...)
		q.Bands[i] = b
	}
	return q
}

// EU is the European uplink plan (as deployed in France in 2026, domain.md §1.3).
var EU = Plan{Name: "eu", Bands: []Band{
	{Name: "B28", Techs: []string{TechLTE, TechNR}, ULLow: 703e6, ULHigh: 748e6, DuplexHz: 55e6,
		Note: "700 MHz, LTE and NR n28"},
	{Name: "B20", Techs: []string{TechLTE, TechNR}, ULLow: 832e6, ULHigh: 862e6, DuplexHz: -41e6,
		Note: "800 MHz, reverse duplex; top edge abuts SRD 863–870 MHz (LoRa, RFID)"},
	{Name: "B8", Techs: []string{TechGSM, TechUMTS, TechLTE, TechNR}, ULLow: 880e6, ULHigh: 915e6, DuplexHz: 45e6,
		Note: "900 MHz, E-GSM/U900/LTE; GSM-R sits just below at 876–880 MHz"},
	{Name: "B3", Techs: []string{TechGSM, TechLTE, TechNR}, ULLow: 1710e6, ULHigh: 1785e6, DuplexHz: 95e6,
		Note: "1800 MHz, DCS/LTE; R820T reaches only 1710–1766 MHz"},
}}

// NA is the North American uplink plan.
var NA = Plan{Name: "na", Bands: []Band{
	{Name: "B71", Techs: []string{TechLTE, TechNR}, ULLow: 663e6, ULHigh: 698e6, DuplexHz: -46e6,
		Note: "600 MHz, reverse duplex"},
	{Name: "B12", Techs: []string{TechLTE, TechNR}, ULLow: 699e6, ULHigh: 716e6, DuplexHz: 30e6,
		Note: "700 MHz lower A–C; includes B17 (704–716 MHz); B85 extends it down to 698 MHz"},
	{Name: "B13", Techs: []string{TechLTE}, ULLow: 777e6, ULHigh: 787e6, DuplexHz: -31e6,
		Note: "700 MHz upper C, reverse duplex"},
	{Name: "B14", Techs: []string{TechLTE}, ULLow: 788e6, ULHigh: 798e6, DuplexHz: -30e6,
		Note: "700 MHz public safety (FirstNet), reverse duplex"},
	{Name: "B5", Techs: []string{TechGSM, TechLTE, TechNR}, ULLow: 824e6, ULHigh: 849e6, DuplexHz: 45e6,
		Note: "850 MHz; GSM850 is legacy (mostly switched off); B26 extends it down to 814 MHz"},
	{Name: "B66", Techs: []string{TechLTE, TechNR}, ULLow: 1710e6, ULHigh: 1780e6, DuplexHz: 400e6,
		Note: "AWS, includes B4 (1710–1755 MHz); R820T reaches only 1710–1766 MHz"},
}}

var plans = []Plan{EU, NA}

// PlanNames returns the names PlanByName accepts.
func PlanNames() []string {
	names := make([]string, len(plans))
	for i, p := range plans {
		names[i] = p.Name
	}
	return names
}

// PlanByName returns a copy of the named plan ("eu" or "na", case-insensitive).
func PlanByName(name string) (Plan, error) {
	for _, p := range plans {
		if strings.EqualFold(strings.TrimSpace(name), p.Name) {
			return p.clone(), nil
		}
	}
	return Plan{}, fmt.Errorf("unknown band plan %q (valid: %s)", name, strings.Join(PlanNames(), ", "))
}

// Lookup returns the uplink band containing freqHz in any known plan, EU
// first, then NA. It tells uplink from downlink in a recording whose region
// is unknown. Beware: one plan's downlink can lie in the other's uplink
// (NA B5 DL 869–894 MHz is inside EU B8 UL; EU B20 DL 791–821 MHz overlaps
// NA B14 UL; NA B12 DL 729–746 MHz is inside EU B28 UL), so when the site's
// plan is known, use Plan.BandAt. Where two uplinks overlap (B3, B66) the
// EU band is returned.
func Lookup(freqHz float64) (Band, bool) {
	for _, p := range plans {
		if b, ok := p.BandAt(freqHz); ok {
			return b, true
		}
	}
	return Band{}, false
}

// Tuner is the frequency reach of a receiver.
type Tuner struct {
	Name         string
	MinHz, MaxHz float64
}

// R820T is the Rafael Micro R820T/R820T2 tuner of common RTL-SDR dongles.
// The PLL stops locking near 1766–1768 MHz; 1766 MHz is the safe ceiling.
var R820T = Tuner{Name: "R820T", MinHz: 24e6, MaxHz: 1766e6}

// R828D has the same reach as the R820T (RTL-SDR Blog V4).
var R828D = Tuner{Name: "R828D", MinHz: 24e6, MaxHz: 1766e6}

// Reachable returns the part of b's uplink the tuner can tune to; false when
// none of it is.
func (t Tuner) Reachable(b Band) (Range, bool) {
	r := Range{LowHz: max(b.ULLow, t.MinHz), HighHz: min(b.ULHigh, t.MaxHz), Band: b.Name}
	if r.HighHz <= r.LowHz {
		return Range{}, false
	}
	return r, true
}

// Blind returns the parts of b's uplink outside the tuner's reach, in
// ascending order: nil when the whole band is reachable, the whole band when
// none of it is. For the R820T and B3 it is [1766, 1785] MHz.
func (t Tuner) Blind(b Band) []Range {
	if _, ok := t.Reachable(b); !ok {
		return []Range{b.Range()}
	}
	var out []Range
	if b.ULLow < t.MinHz {
		out = append(out, Range{LowHz: b.ULLow, HighHz: t.MinHz, Band: b.Name})
	}
	if b.ULHigh > t.MaxHz {
		out = append(out, Range{LowHz: t.MaxHz, HighHz: b.ULHigh, Band: b.Name})
	}
	return out
}

// Downlink is the band's downlink range (base station to phone).
func (b Band) Downlink() Range {
	lo, hi := b.ULLow+b.DuplexHz, b.ULHigh+b.DuplexHz
	return Range{LowHz: lo, HighHz: hi, Band: b.Name}
}

// DownlinkGuardHz widens each downlink band when recognising base-station
// energy: a carrier's skirts spill past the band edge into the duplex gap,
// where no handset transmits either.
const DownlinkGuardHz = 2e6

// DownlinkAt reports whether freqHz lies in (or within DownlinkGuardHz of)
// the downlink of one of the plan's bands and in none of its uplinks:
// energy there comes from base stations (and jammers), never a handset.
func (p Plan) DownlinkAt(freqHz float64) (Band, bool) {
	if _, ok := p.BandAt(freqHz); ok {
		return Band{}, false
	}
	for _, b := range p.Bands {
		dl := b.Downlink()
		if freqHz >= dl.LowHz-DownlinkGuardHz && freqHz <= dl.HighHz+DownlinkGuardHz {
			return b, true
		}
	}
	return Band{}, false
}

// shortRange lists, per plan, allocations where no handset transmits but
// licence-exempt devices do (LoRa, RFID, alarms, key fobs): energy there is
// clutter (domain.md §6).
var shortRange = map[string][]Range{
	"eu": {
		{LowHz: 433.05e6, HighHz: 434.79e6, Band: "ISM 433"},
		{LowHz: 863e6, HighHz: 870e6, Band: "SRD 863–870"},
	},
	"na": {
		{LowHz: 902e6, HighHz: 928e6, Band: "ISM 915"},
	},
}

// ShortRangeAt reports whether freqHz lies in one of the plan's
// short-range-device allocations and in none of its uplinks.
func (p Plan) ShortRangeAt(freqHz float64) (Range, bool) {
	if _, ok := p.BandAt(freqHz); ok {
		return Range{}, false
	}
	for _, r := range shortRange[p.Name] {
		if r.Contains(freqHz) {
			return r, true
		}
	}
	return Range{}, false
}
