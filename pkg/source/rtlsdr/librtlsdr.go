//go:build rtlsdr && cgo

package rtlsdr

/*
#cgo pkg-config: librtlsdr
#include <rtl-sdr.h>
*/
import "C"

import "unsafe"

// Available reports whether this binary can talk to dongles (built with
// cgo and -tags rtlsdr).
const Available = true

// Open opens the dongle cfg.Serial names (or the only one present) and
// applies cfg; see Config.
func Open(cfg Config) (*Dongle, error) { return openWith(&cdev{}, cfg) }

// List enumerates the dongles librtlsdr sees. Devices whose USB strings
// cannot be read are still listed (with empty strings) and the error says
// why.
func List() ([]DeviceInfo, error) { return list(&cdev{}) }

// cdev implements device over librtlsdr. h is the rtlsdr_dev_t* from
// rtlsdr_open: C memory, so holding it in Go is fine.
type cdev struct {
	h *C.rtlsdr_dev_t
}

func (d *cdev) DeviceCount() int { return int(C.rtlsdr_get_device_count()) }

func (d *cdev) DeviceName(index int) string {
	// A static string inside librtlsdr ("" for a bad index): not freed.
	return C.GoString(C.rtlsdr_get_device_name(C.uint32_t(index)))
}

func (d *cdev) DeviceUSBStrings(index int) (manufacturer, product, serial string, rc int) {
	// librtlsdr writes up to 256 bytes into each buffer (NUL-terminated,
	// memset first). The arrays are Go memory without Go pointers, used
	// only during the call: allowed by the cgo pointer rules.
	var m, p, s [256]C.char
	r := C.rtlsdr_get_device_usb_strings(C.uint32_t(index), &m[0], &p[0], &s[0])
	if r != 0 {
		return "", "", "", int(r)
	}
	return C.GoString(&m[0]), C.GoString(&p[0]), C.GoString(&s[0]), 0
}

func (d *cdev) Open(index int) int {
	var h *C.rtlsdr_dev_t
	r := C.rtlsdr_open(&h, C.uint32_t(index))
	if r == 0 {
		d.h = h
	}
	return int(r)
}

func (d *cdev) Close() int {
	if d.h == nil {
		return 0
	}
	r := C.rtlsdr_close(d.h)
	d.h = nil
	return int(r)
}

func (d *cdev) TunerType() int      { return int(C.rtlsdr_get_tuner_type(d.h)) }
func (d *cdev) DirectSampling() int { return int(C.rtlsdr_get_direct_sampling(d.h)) }
func (d *cdev) SetDirectSampling(mode int) int {
	return int(C.rtlsdr_set_direct_sampling(d.h, C.int(mode)))
}
func (d *cdev) SetSampleRate(hz uint32) int {
	return int(C.rtlsdr_set_sample_rate(d.h, C.uint32_t(hz)))
}
func (d *cdev) SampleRate() uint32 { return uint32(C.rtlsdr_get_sample_rate(d.h)) }
func (d *cdev) SetCenterFreq(hz uint32) int {
	return int(C.rtlsdr_set_center_freq(d.h, C.uint32_t(hz)))
}

func (d *cdev) TunerGains() ([]int, int) {
	n := int(C.rtlsdr_get_tuner_gains(d.h, nil))
	if n <= 0 {
		return nil, n
	}
	buf := make([]C.int, n) // Go memory, no Go pointers, used only during the call
	n = min(n, int(C.rtlsdr_get_tuner_gains(d.h, &buf[0])))
	if n < 0 {
		return nil, n
	}
	gains := make([]int, n)
	for i := range gains {
		gains[i] = int(buf[i])
	}
	return gains, n
}

func (d *cdev) SetTunerGainMode(manual bool) int {
	return int(C.rtlsdr_set_tuner_gain_mode(d.h, cbool(manual)))
}
func (d *cdev) SetTunerGain(tenthsDB int) int {
	return int(C.rtlsdr_set_tuner_gain(d.h, C.int(tenthsDB)))
}
func (d *cdev) TunerGain() int         { return int(C.rtlsdr_get_tuner_gain(d.h)) }
func (d *cdev) SetAGCMode(on bool) int { return int(C.rtlsdr_set_agc_mode(d.h, cbool(on))) }
func (d *cdev) FreqCorrection() int    { return int(C.rtlsdr_get_freq_correction(d.h)) }
func (d *cdev) SetFreqCorrection(ppm int) int {
	return int(C.rtlsdr_set_freq_correction(d.h, C.int(ppm)))
}
func (d *cdev) SetBiasTee(on bool) int { return int(C.rtlsdr_set_bias_tee(d.h, cbool(on))) }
func (d *cdev) ResetBuffer() int       { return int(C.rtlsdr_reset_buffer(d.h)) }

// ReadSync reads into buf, a Go-allocated []byte, through an unsafe
// pointer. This is safe under the cgo pointer rules: the memory holds no Go
// pointers; rtlsdr_read_sync is a synchronous libusb_bulk_transfer that
// completes (or fails) before it returns, so C keeps no reference to buf
// afterwards; and the Go runtime keeps the memory pinned for the duration
// of the call (heap objects do not move). The Dongle guarantees nothing
// else touches buf while the call runs. Using Go memory avoids a
// C.malloc'd buffer and a copy out of it.
func (d *cdev) ReadSync(buf []byte) (int, int) {
	if len(buf) == 0 {
		return 0, 0
	}
	var n C.int
	r := C.rtlsdr_read_sync(d.h, unsafe.Pointer(&buf[0]), C.int(len(buf)), &n)
	return int(n), int(r)
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
