package iq

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Hints is what a recording's file name says about it. A zero field means
// the name does not say, or says it ambiguously.
type Hints struct {
	Format     Format
	SampleRate float64 // complex samples per second
	CenterFreq float64 // Hz
}

// extFormats are the extensions that name a sample format by themselves.
// Others (.bin, .raw, .u8, .dat, .iq, .cf64 …) say nothing: they are used
// for several formats in the wild.
var extFormats = map[string]Format{
	".cu8":   CU8,
	".cs8":   CS8,
	".cs16":  CS16,
	".sc16":  CS16,
	".cf32":  CF32,
	".fc32":  CF32,
	".cfile": CF32, // GNU Radio file sink of gr_complex
}

// binDevices name the device in LTE-Cell-Scanner style NAME_rtlsdr.bin
// recordings, whose raw dumps are in that device's native format.
var binDevices = map[string]Format{
	"rtlsdr": CU8,
	"hackrf": CS8,
}

var (
	// rtl_433 style: 433.92M, 250k, 1.2G (no unit: position decides).
	siToken = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)([kKMG])$`)
	// Explicit frequency: 937MHz, 433.92mhz, 2.4GHz, 500kHz.
	hzToken = regexp.MustCompile(`(?i)^([0-9]+(?:\.[0-9]+)?)([kmg]?)hz$`)
	// Explicit rate: 2.4Msps, 250ksps, 2400000sps.
	spsToken = regexp.MustCompile(`(?i)^([0-9]+(?:\.[0-9]+)?)([kmg]?)sps$`)
	// LTE-Cell-Scanner style f796 / f5.92e9 and s1.92 / s15.36e6.
	fToken = regexp.MustCompile(`^f([0-9]+(?:\.[0-9]+)?)(e[0-9]+)?$`)
	sToken = regexp.MustCompile(`^s([0-9]+(?:\.[0-9]+)?)(e[0-9]+)?$`)
)

var siMult = map[string]float64{"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}

func scaled(num, prefix string) (float64, bool) {
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	m, ok := siMult[prefix]
	if !ok {
		m, ok = siMult[strings.ToUpper(prefix)]
	}
	if !ok {
		return 0, false
	}
	return v * m, true
}

// withExp parses "1.92" with an optional "e6": with an exponent the value is
// in base units, without it in unit (MHz for f…, MS/s for s…).
func withExp(num, exp string, unit float64) (float64, bool) {
	if exp != "" {
		v, err := strconv.ParseFloat(num+exp, 64)
		return v, err == nil && v > 0
	}
	v, err := strconv.ParseFloat(num, 64)
	return v * unit, err == nil && v > 0
}

// field collects candidate values for one field; differing candidates make
// it ambiguous, and an ambiguous field yields nothing.
type field struct {
	v         float64
	ambiguous bool
}

func (f *field) add(v float64) {
	if v == 0 || f.ambiguous {
		return
	}
	if f.v != 0 && !sameValue(f.v, v) {
		f.v, f.ambiguous = 0, true
		return
	}
	f.v = v
}

func sameValue(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-9*max(a, b)
}

// ParseNameHints reads the sample format, sample rate and centre frequency
// that a recording's name states. It knows:
//
//   - rtl_433 names, tokens separated by "_": the first token with a k, M or
//     G suffix is the centre frequency, the second the sample rate
//     (g001_433.92M_250k.cu8). A lone such token is a rate if it is below
//     10 MHz and has a k suffix (x_2400k.cu8), a frequency if it is 10 MHz or
//     more; a lone "2.4M" says nothing. If the "frequency" is below the
//     "rate" the pair says nothing either.
//   - explicit units: 937MHz (frequency), 2.4Msps (rate), as in GNU Radio
//     names like GSMSP_…_937MHz_16.cfile; the bare 16 (a decimation) is ignored.
//   - LTE-Cell-Scanner names: f796_s1.92_… (MHz and MS/s, or Hz and S/s with an
//     exponent: f5.92e9_s15.36e6); the f and s tokens count only as an
//     adjacent pair, and only if the frequency exceeds the rate.
//     The format comes from a device token in a .bin name: rtlsdr → cu8,
//     hackrf → cs8.
//   - extensions .cu8 .cs8 .cs16 .sc16 .cf32 .fc32 .cfile.
//
// The directory part of name is ignored. When two tokens give different
// values for a field, the field is left unknown.
func ParseNameHints(name string) Hints {
	stem, ext := splitExt(filepath.Base(name))
	var h Hints
	tokens := strings.Split(stem, "_")

	var freq, rate field
	var si []float64
	var siK []bool
	for i, tok := range tokens {
		if m := siToken.FindStringSubmatch(tok); m != nil {
			if v, ok := scaled(m[1], m[2]); ok {
				si = append(si, v)
				siK = append(siK, m[2] == "k" || m[2] == "K")
			}
			continue
		}
		if m := hzToken.FindStringSubmatch(tok); m != nil {
			if v, ok := scaled(m[1], m[2]); ok {
				freq.add(v)
			}
			continue
		}
		if m := spsToken.FindStringSubmatch(tok); m != nil {
			if v, ok := scaled(m[1], m[2]); ok {
				rate.add(v)
			}
			continue
		}
		if m := fToken.FindStringSubmatch(tok); m != nil && i+1 < len(tokens) {
			if n := sToken.FindStringSubmatch(tokens[i+1]); n != nil {
				f, okf := withExp(m[1], m[2], 1e6)
				s, oks := withExp(n[1], n[2], 1e6)
				if okf && oks && f > s {
					freq.add(f)
					rate.add(s)
				}
			}
		}
	}
	switch len(si) {
	case 0:
	case 1:
		switch {
		case si[0] >= 10e6:
			freq.add(si[0])
		case siK[0]:
			rate.add(si[0])
		}
	default:
		if si[0] >= si[1] {
			freq.add(si[0])
			rate.add(si[1])
		}
	}
	h.CenterFreq, h.SampleRate = freq.v, rate.v

	lext := strings.ToLower(ext)
	if f, ok := extFormats[lext]; ok {
		h.Format = f
	} else if lext == ".bin" {
		var found Format
		for _, tok := range tokens {
			if f, ok := binDevices[strings.ToLower(tok)]; ok {
				if found != 0 && found != f {
					found = 0
					break
				}
				found = f
			}
		}
		h.Format = found
	}
	return h
}

// splitExt splits off a file extension: a final ".word" that starts with a
// letter, so that "x_2.4M" keeps its ".4M".
func splitExt(base string) (stem, ext string) {
	i := strings.LastIndexByte(base, '.')
	if i <= 0 || i == len(base)-1 {
		return base, ""
	}
	e := base[i+1:]
	if c := e[0]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
		return base, ""
	}
	for _, c := range e {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return base, ""
		}
	}
	return base[:i], base[i:]
}
