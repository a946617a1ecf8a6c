// Package rtlsdr is the librtlsdr (osmocom rtl-sdr 0.6) source: a Dongle
// opened by serial, with manual tuner gain, the RTL2832 digital AGC off, a
// crystal correction and an optional bias tee, delivering cu8 samples
// through rtlsdr_read_sync.
//
// The C binding needs cgo and the build tag rtlsdr (and librtlsdr-dev to
// build, librtlsdr0 to run); without them Open and List return ErrNotBuilt
// and Available is false. Everything above the C calls — device choice,
// gain snapping, error mapping, the Source implementation and its counters
// — is plain Go behind the device interface, and is tested without
// hardware.
package rtlsdr

// device is the seam between the logic of this package and librtlsdr: one
// method per C function used, with librtlsdr's argument conventions
// (frequencies in Hz as uint32, gains in tenths of a dB) and its raw return
// codes, so that every decision (and mapError) stays in tested Go.
//
// Enumeration methods work without an open handle; the others need Open.
type device interface {
	// Enumeration: rtlsdr_get_device_count, rtlsdr_get_device_name,
	// rtlsdr_get_device_usb_strings.
	DeviceCount() int
	DeviceName(index int) string
	DeviceUSBStrings(index int) (manufacturer, product, serial string, rc int)

	// rtlsdr_open and rtlsdr_close.
	Open(index int) int
	Close() int

	// rtlsdr_get_tuner_type: the rtlsdr_tuner enum (see tunerNames).
	TunerType() int
	// rtlsdr_get_direct_sampling / rtlsdr_set_direct_sampling (0 off, 1 I, 2 Q).
	DirectSampling() int
	SetDirectSampling(mode int) int
	// rtlsdr_set_sample_rate / rtlsdr_get_sample_rate (the exact rate).
	SetSampleRate(hz uint32) int
	SampleRate() uint32
	// rtlsdr_set_center_freq.
	SetCenterFreq(hz uint32) int
	// rtlsdr_get_tuner_gains: the table in tenths of a dB, and the count
	// (negative on error).
	TunerGains() ([]int, int)
	// rtlsdr_set_tuner_gain_mode (manual=1), rtlsdr_set_tuner_gain and
	// rtlsdr_get_tuner_gain, all in tenths of a dB.
	SetTunerGainMode(manual bool) int
	SetTunerGain(tenthsDB int) int
	TunerGain() int
	// rtlsdr_set_agc_mode: the RTL2832 digital AGC (not the tuner's).
	SetAGCMode(on bool) int
	// rtlsdr_get_freq_correction / rtlsdr_set_freq_correction (ppm).
	FreqCorrection() int
	SetFreqCorrection(ppm int) int
	// rtlsdr_set_bias_tee (GPIO 0).
	SetBiasTee(on bool) int
	// rtlsdr_reset_buffer: flush the EPA FIFO.
	ResetBuffer() int
	// rtlsdr_read_sync: a blocking USB bulk read into buf (no timeout).
	ReadSync(buf []byte) (n int, rc int)
}

// rtlsdr_tuner enum values.
const (
	tunerUnknown = 0
	tunerR820T   = 5
)

var tunerNames = []string{"unknown", "E4000", "FC0012", "FC0013", "FC2580", "R820T", "R828D"}

// TunerName names an rtlsdr_tuner enum value ("R820T", …).
func TunerName(t int) string {
	if t >= 0 && t < len(tunerNames) {
		return tunerNames[t]
	}
	return "unknown"
}
