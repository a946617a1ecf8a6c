package rtlsdr

import (
	"fmt"
	"sync"

	"github.com/cellwatch/cellwatch/pkg/source"
)

var r820tGains = source.R820TGains

// fakeDev is a device in memory: it records every call, returns the codes
// in rc (by C function name), and serves reads from read.
type fakeDev struct {
	mu    sync.Mutex
	devs  []DeviceInfo
	usbRC map[int]int // DeviceUSBStrings rc by index
	rc    map[string]int
	calls []string

	tuner     int
	direct    int
	rate      uint32
	gains     []int
	gain      int
	ppm       int
	open      bool
	readCalls int
	// read serves ReadSync; nil fills buf with its offset pattern.
	read func(buf []byte) (int, int)
}

func newFake(serials ...string) *fakeDev {
	f := &fakeDev{rc: map[string]int{}, usbRC: map[int]int{}, tuner: tunerR820T, gains: r820tGains}
	for i, s := range serials {
		f.devs = append(f.devs, DeviceInfo{Index: i, Name: "Generic RTL2832U OEM", Manufacturer: "Realtek", Product: "RTL2838UHIDIR", Serial: s})
	}
	return f
}

func (f *fakeDev) call(name string, args ...any) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := name
	if len(args) > 0 {
		s += fmt.Sprint(args...)
	}
	f.calls = append(f.calls, s)
	return f.rc[name]
}

func (f *fakeDev) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeDev) DeviceCount() int            { return len(f.devs) }
func (f *fakeDev) DeviceName(index int) string { return f.devs[index].Name }
func (f *fakeDev) DeviceUSBStrings(i int) (string, string, string, int) {
	if rc := f.usbRC[i]; rc != 0 {
		return "", "", "", rc
	}
	d := f.devs[i]
	return d.Manufacturer, d.Product, d.Serial, 0
}
func (f *fakeDev) Open(index int) int {
	rc := f.call("open", index)
	f.open = rc == 0
	return rc
}
func (f *fakeDev) Close() int {
	f.open = false
	return f.call("close")
}
func (f *fakeDev) TunerType() int      { return f.tuner }
func (f *fakeDev) DirectSampling() int { return f.direct }
func (f *fakeDev) SetDirectSampling(mode int) int {
	f.direct = mode
	return f.call("set_direct_sampling", mode)
}
func (f *fakeDev) SetSampleRate(hz uint32) int {
	rc := f.call("set_sample_rate", hz)
	if rc == 0 {
		f.rate = hz
	}
	return rc
}
func (f *fakeDev) SampleRate() uint32 { return f.rate }
func (f *fakeDev) SetCenterFreq(hz uint32) int {
	return f.call("set_center_freq", hz)
}
func (f *fakeDev) TunerGains() ([]int, int) { return f.gains, len(f.gains) }
func (f *fakeDev) SetTunerGainMode(manual bool) int {
	return f.call("set_tuner_gain_mode", manual)
}
func (f *fakeDev) SetTunerGain(g int) int {
	rc := f.call("set_tuner_gain", g)
	if rc == 0 {
		f.gain = g
	}
	return rc
}
func (f *fakeDev) TunerGain() int         { return f.gain }
func (f *fakeDev) SetAGCMode(on bool) int { return f.call("set_agc_mode", on) }
func (f *fakeDev) FreqCorrection() int    { return f.ppm }
func (f *fakeDev) SetFreqCorrection(ppm int) int {
	if ppm == f.ppm {
		return -2 // as librtlsdr
	}
	f.ppm = ppm
	return f.call("set_freq_correction", ppm)
}
func (f *fakeDev) SetBiasTee(on bool) int { return f.call("set_bias_tee", on) }
func (f *fakeDev) ResetBuffer() int       { return f.call("reset_buffer") }
func (f *fakeDev) ReadSync(buf []byte) (int, int) {
	f.mu.Lock()
	f.readCalls++
	read := f.read
	f.mu.Unlock()
	if read != nil {
		return read(buf)
	}
	for i := range buf {
		buf[i] = byte(i)
	}
	return len(buf), 0
}
