package rtltcp

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Magic opens the 12-byte header an rtl_tcp server sends on connect.
const Magic = "RTL0"

// HeaderLen is the size of the server's header: magic, tuner type, gain count.
const HeaderLen = 12

// Tuner types as rtl_tcp reports them (librtlsdr's enum rtlsdr_tuner).
const (
	TunerUnknown = 0
	TunerE4000   = 1
	TunerFC0012  = 2
	TunerFC0013  = 3
	TunerFC2580  = 4
	TunerR820T   = 5
	TunerR828D   = 6
)

// TunerName names a tuner type from the header.
func TunerName(t uint32) string {
	switch t {
	case TunerE4000:
		return "E4000"
	case TunerFC0012:
		return "FC0012"
	case TunerFC0013:
		return "FC0013"
	case TunerFC2580:
		return "FC2580"
	case TunerR820T:
		return "R820T"
	case TunerR828D:
		return "R828D"
	}
	return fmt.Sprintf("unknown(%d)", t)
}

// Commands (client → server): one opcode byte and a big-endian uint32.
const (
	CmdSetFreq       = 0x01 // Hz
	CmdSetSampleRate = 0x02 // Hz
	CmdSetGainMode   = 0x03 // 1 manual, 0 auto
	CmdSetGain       = 0x04 // tenths of dB
	CmdSetFreqCorr   = 0x05 // ppm, int32 as uint32
	CmdSetIFGain     = 0x06 // stage<<16 | int16 gain
	CmdSetTestMode   = 0x07
	CmdSetAGCMode    = 0x08 // RTL2832 digital AGC
	CmdSetDirect     = 0x09
	CmdSetOffsetTune = 0x0a
	CmdSetRTLXtal    = 0x0b
	CmdSetTunerXtal  = 0x0c
	CmdSetGainIndex  = 0x0d
	CmdSetBiasTee    = 0x0e
)

// CommandLen is the size of one command on the wire.
const CommandLen = 5

var cmdNames = map[byte]string{
	CmdSetFreq: "freq", CmdSetSampleRate: "sample_rate", CmdSetGainMode: "gain_mode", CmdSetGain: "gain",
	CmdSetFreqCorr: "freq_correction", CmdSetIFGain: "if_gain", CmdSetTestMode: "test_mode",
	CmdSetAGCMode: "agc_mode", CmdSetDirect: "direct_sampling", CmdSetOffsetTune: "offset_tuning",
	CmdSetRTLXtal: "rtl_xtal", CmdSetTunerXtal: "tuner_xtal", CmdSetGainIndex: "gain_index", CmdSetBiasTee: "bias_tee",
}

// Command is one command as it travels on the wire.
type Command struct {
	Op    byte
	Param uint32
}

func (c Command) String() string {
	name, ok := cmdNames[c.Op]
	if !ok {
		name = fmt.Sprintf("cmd(0x%02x)", c.Op)
	}
	return fmt.Sprintf("%s=%d", name, c.Param)
}

// Encode returns the 5 wire bytes.
func (c Command) Encode() [CommandLen]byte {
	var b [CommandLen]byte
	b[0] = c.Op
	binary.BigEndian.PutUint32(b[1:], c.Param)
	return b
}

// DecodeCommand reads a command from its 5 wire bytes.
func DecodeCommand(b [CommandLen]byte) Command {
	return Command{Op: b[0], Param: binary.BigEndian.Uint32(b[1:])}
}

// Header is what the server says about its dongle on connect.
type Header struct {
	Tuner     uint32
	GainCount uint32
}

// Encode returns the 12 wire bytes.
func (h Header) Encode() [HeaderLen]byte {
	var b [HeaderLen]byte
	copy(b[:4], Magic)
	binary.BigEndian.PutUint32(b[4:], h.Tuner)
	binary.BigEndian.PutUint32(b[8:], h.GainCount)
	return b
}

// R820TGains is the R820T/R828D tuner gain table (dB), as librtlsdr lists it.
var R820TGains = []float64{0, 0.9, 1.4, 2.7, 3.7, 7.7, 8.7, 12.5, 14.4, 15.7, 16.6, 19.7, 20.7, 22.9,
	25.4, 28.0, 29.7, 32.8, 33.8, 36.4, 37.2, 38.6, 40.2, 42.1, 43.4, 43.9, 44.5, 48.0, 49.6}

// SnapGain returns the R820T table value nearest db (the lower one on a tie).
func SnapGain(db float64) float64 {
	best := R820TGains[0]
	for _, g := range R820TGains[1:] {
		if math.Abs(g-db) < math.Abs(best-db) {
			best = g
		}
	}
	return best
}

// tenths converts dB to the tenths of dB rtl_tcp's gain command takes.
func tenths(db float64) uint32 { return uint32(math.Round(db * 10)) }

// validRate reports whether the RTL2832U accepts a sample rate (librtlsdr:
// 225001–300000 or 900001–3200000 S/s).
func validRate(r float64) bool {
	return (r > 225000 && r <= 300000) || (r > 900000 && r <= 3200000)
}
