// Package iq knows the sample formats cellwatch reads and writes (cu8, cs8,
// cs16, cf32, all little-endian interleaved I/Q), SigMF metadata, the
// rtl_433-style hints that recording names carry, and the resampling and
// mixing that turn other radios' recordings into RTL-SDR-like input.
package iq

import (
	"fmt"
	"strings"
)

// Format is the on-disk or on-wire encoding of one complex sample.
type Format int

const (
	// CU8 is unsigned 8-bit offset binary, what RTL-SDR dongles and rtl_tcp deliver.
	CU8 Format = iota + 1
	// CS8 is signed 8-bit (HackRF).
	CS8
	// CS16 is signed 16-bit little-endian.
	CS16
	// CF32 is IEEE-754 float32 little-endian (GNU Radio .cfile, numpy complex64).
	CF32
)

var formatNames = map[Format]string{CU8: "cu8", CS8: "cs8", CS16: "cs16", CF32: "cf32"}

// String returns the SigMF-style short name ("cu8", …).
func (f Format) String() string {
	if s, ok := formatNames[f]; ok {
		return s
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// BytesPerSample is the size of one complex sample (I and Q).
func (f Format) BytesPerSample() int {
	switch f {
	case CU8, CS8:
		return 2
	case CS16:
		return 4
	case CF32:
		return 8
	}
	return 0
}

// Valid reports whether f is one of the known formats.
func (f Format) Valid() bool { return f.BytesPerSample() > 0 }

// ParseFormat accepts the short names (cu8, cs8, cs16, cf32) and the SigMF
// datatypes with an explicit little-endian suffix (cu8, ci8, ci16_le, cf32_le).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "cu8", "cu8_le":
		return CU8, nil
	case "cs8", "ci8", "ci8_le":
		return CS8, nil
	case "cs16", "ci16", "ci16_le", "cs16_le":
		return CS16, nil
	case "cf32", "cf32_le":
		return CF32, nil
	}
	return 0, fmt.Errorf("unknown sample format %q (want cu8, cs8, cs16 or cf32)", s)
}

// SigMFDatatype is the SigMF core:datatype for f.
func (f Format) SigMFDatatype() string {
	switch f {
	case CU8:
		return "cu8"
	case CS8:
		return "ci8"
	case CS16:
		return "ci16_le"
	case CF32:
		return "cf32_le"
	}
	return ""
}
