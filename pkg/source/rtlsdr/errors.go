package rtlsdr

import (
	"errors"
	"fmt"
)

// Sentinel errors; test with errors.Is. Errors from librtlsdr calls are
// *Error values, which match the sentinel of their code.
var (
	// ErrNoDevice: no dongle is plugged in, the chosen one is not there, or
	// it went away (LIBUSB_ERROR_NO_DEVICE, e.g. unplugged while streaming).
	ErrNoDevice = errors.New("rtlsdr: no such device")
	// ErrAccess: the process may not open the USB device (permissions).
	ErrAccess = errors.New("rtlsdr: permission denied")
	// ErrBusy: the device is claimed by a kernel driver or another program.
	ErrBusy = errors.New("rtlsdr: device busy")
	// ErrAmbiguous: the configured serial (or the absence of one) does not
	// pick exactly one dongle.
	ErrAmbiguous = errors.New("rtlsdr: ambiguous device choice")
	// ErrClosed is returned by calls on a closed Dongle.
	ErrClosed = errors.New("rtlsdr: device closed")
	// ErrNotBuilt is returned by Open and List in a binary built without
	// librtlsdr (see Available).
	ErrNotBuilt = errors.New("rtlsdr: this binary was built without librtlsdr support (rebuild with CGO_ENABLED=1 and -tags rtlsdr, with librtlsdr-dev installed)")
)

// Error is a failed librtlsdr call: the C function and its return code.
//
// librtlsdr mixes two code spaces: its own small negatives (-1 "device not
// initialised or failed", -2 "not possible in this state", -3, -EINVAL) and
// the libusb codes it passes through (rtlsdr_read_sync and rtlsdr_open
// return them unchanged). The names below are the libusb ones, with the
// librtlsdr meaning added where the function is known to use its own.
type Error struct {
	Func string // C function, e.g. "rtlsdr_open"
	Code int    // its return code
}

// libusb_error codes (libusb.h, 1.0.26).
const (
	usbErrIO           = -1
	usbErrInvalidParam = -2
	usbErrAccess       = -3
	usbErrNoDevice     = -4
	usbErrNotFound     = -5
	usbErrBusy         = -6
	usbErrTimeout      = -7
	usbErrOverflow     = -8
	usbErrPipe         = -9
	usbErrInterrupted  = -10
	usbErrNoMem        = -11
	usbErrNotSupported = -12
	usbErrOther        = -99
	errnoEINVAL        = -22 // librtlsdr returns -EINVAL from rtlsdr_set_sample_rate
)

var codeNames = map[int]string{
	usbErrIO:           "LIBUSB_ERROR_IO: input/output error",
	usbErrInvalidParam: "LIBUSB_ERROR_INVALID_PARAM: invalid parameter",
	usbErrAccess:       "LIBUSB_ERROR_ACCESS: access denied (insufficient permissions)",
	usbErrNoDevice:     "LIBUSB_ERROR_NO_DEVICE: no such device (it may have been disconnected)",
	usbErrNotFound:     "LIBUSB_ERROR_NOT_FOUND: entity not found",
	usbErrBusy:         "LIBUSB_ERROR_BUSY: resource busy",
	usbErrTimeout:      "LIBUSB_ERROR_TIMEOUT: operation timed out",
	usbErrOverflow:     "LIBUSB_ERROR_OVERFLOW: overflow",
	usbErrPipe:         "LIBUSB_ERROR_PIPE: pipe error (endpoint stalled)",
	usbErrInterrupted:  "LIBUSB_ERROR_INTERRUPTED: system call interrupted",
	usbErrNoMem:        "LIBUSB_ERROR_NO_MEM: insufficient memory",
	usbErrNotSupported: "LIBUSB_ERROR_NOT_SUPPORTED: operation not supported or unimplemented on this platform",
	usbErrOther:        "LIBUSB_ERROR_OTHER: other error",
	errnoEINVAL:        "EINVAL: invalid argument",
}

// meaning is the text for e's code, taking the function into account
// where librtlsdr uses its own codes rather than libusb's.
func (e *Error) meaning() string {
	switch {
	case e.Func == "rtlsdr_open" && e.Code == -1:
		return "no RTL-SDR dongle at that index (unplugged since it was listed?), or libusb could not start"
	case e.Func == "rtlsdr_open" && e.Code == -12:
		// -ENOMEM from malloc, or LIBUSB_ERROR_NOT_SUPPORTED from libusb_open.
		return "out of memory (-ENOMEM) or LIBUSB_ERROR_NOT_SUPPORTED"
	case e.Func == "rtlsdr_get_device_usb_strings" && e.Code == -2:
		return "no RTL-SDR dongle at that index (unplugged since it was counted?)"
	case e.Func == "rtlsdr_set_freq_correction" && e.Code == -2:
		return "the correction is already set to that value"
	case e.Func != "rtlsdr_read_sync" && e.Func != "rtlsdr_open" && e.Code == -1:
		return "librtlsdr call failed (device not initialised, or a USB control transfer failed)"
	}
	if s, ok := codeNames[e.Code]; ok {
		return s
	}
	if e.Code > 0 {
		return "unexpected positive return code"
	}
	return "unknown error code"
}

// hint is operator advice for codes with a usual cause.
func (e *Error) hint() string {
	switch e.Code {
	case usbErrAccess:
		return "install the rtl-sdr udev rules (Debian: librtlsdr0 ships /lib/udev/rules.d/60-librtlsdr0.rules, GROUP=\"plugdev\"), add the daemon's user to the plugdev group, then replug the dongle"
	case usbErrBusy:
		return "the kernel DVB driver dvb_usb_rtl28xxu holds it: blacklist it (echo 'blacklist dvb_usb_rtl28xxu' > /etc/modprobe.d/blacklist-rtlsdr.conf; modprobe -r dvb_usb_rtl28xxu), or another program (rtl_tcp, rtl_sdr, another cellwatch) has it open"
	case usbErrNoDevice:
		return "check the cable and `lsusb` (0bda:2838 for most dongles); the daemon should reopen by serial"
	case usbErrPipe, usbErrIO:
		if e.Func == "rtlsdr_read_sync" {
			return "USB transfer failed: check cable, hub power and dmesg; unplug and replug the dongle"
		}
	case usbErrOverflow:
		return "the device sent more than was asked for: read lengths must be multiples of 512 bytes"
	case usbErrNoMem:
		return "the usbfs buffer limit may be exhausted: raise /sys/module/usbcore/parameters/usbfs_memory_mb (0 = unlimited)"
	case errnoEINVAL:
		if e.Func == "rtlsdr_set_sample_rate" {
			return "librtlsdr accepts 225001–300000 Hz and 900001–3200000 Hz"
		}
	}
	return ""
}

func (e *Error) Error() string {
	s := fmt.Sprintf("rtlsdr: %s failed: %s (%d)", e.Func, e.meaning(), e.Code)
	if h := e.hint(); h != "" {
		s += "; " + h
	}
	return s
}

// Is matches the sentinel errors: ErrNoDevice, ErrAccess, ErrBusy.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNoDevice:
		return e.Code == usbErrNoDevice ||
			(e.Func == "rtlsdr_open" && e.Code == -1) ||
			(e.Func == "rtlsdr_get_device_usb_strings" && e.Code == -2)
	case ErrAccess:
		return e.Code == usbErrAccess
	case ErrBusy:
		return e.Code == usbErrBusy
	}
	return false
}

// mapError turns the return code of librtlsdr function fn into an error:
// nil for 0, an *Error otherwise. Call it only for functions whose
// non-zero return is a failure (not for getters that return values).
func mapError(fn string, rc int) error {
	if rc == 0 {
		return nil
	}
	return &Error{Func: fn, Code: rc}
}
