package rtltcp

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cellwatch/cellwatch/pkg/source"
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

// SnapGain returns the R820T table value (dB) nearest db, the lower one on
// a tie: what the server's tuner will actually apply.
func SnapGain(db float64) float64 {
	return float64(source.SnapGain(source.R820TGains, int(math.Round(db*10)))) / 10
}

// tenths converts dB to the tenths of dB rtl_tcp's gain command takes.
func tenths(db float64) uint32 { return uint32(math.Round(db * 10)) }
