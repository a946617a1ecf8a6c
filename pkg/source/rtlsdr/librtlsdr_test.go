//go:build rtlsdr && cgo

package rtlsdr

import (
	"errors"
	"strings"
	"testing"
)

// These run against the real librtlsdr. On a machine without a dongle (CI)
// they check the no-device paths; with dongles plugged in they only list.

func TestRealAvailable(t *testing.T) {
	if !Available {
		t.Fatal("Available is false in a cgo build with -tags rtlsdr")
	}
}

func TestRealList(t *testing.T) {
	devs, err := List()
	if devs == nil {
		t.Fatalf("List() = nil, %v; want a non-nil (possibly empty) list", err)
	}
	for _, d := range devs {
		t.Logf("%s", d)
	}
	if len(devs) == 0 && err != nil {
		t.Fatalf("List() with no devices: %v", err)
	}
}

func TestRealOpenWithoutDongle(t *testing.T) {
	if n := (&cdev{}).DeviceCount(); n > 0 {
		t.Skipf("%d dongle(s) present; the no-device test needs none", n)
	}
	d, err := Open(Config{Serial: "cw-test"})
	if d != nil || !errors.Is(err, ErrNoDevice) {
		t.Fatalf("Open = %v, %v; want ErrNoDevice", d, err)
	}
	d, err = Open(Config{})
	if d != nil || !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "no RTL-SDR dongle found") {
		t.Fatalf("Open = %v, %v; want ErrNoDevice", d, err)
	}
	t.Log(err)
	// The raw binding, without the enumeration in front of it.
	c := &cdev{}
	if rc := c.Open(0); rc == 0 {
		c.Close()
		t.Fatal("rtlsdr_open(0) succeeded without a dongle")
	} else if err := mapError("rtlsdr_open", rc); !errors.Is(err, ErrNoDevice) {
		t.Errorf("rtlsdr_open(0) = %v", err)
	}
	if c.Close() != 0 {
		t.Error("Close of an unopened cdev")
	}
	if name := c.DeviceName(0); name != "" {
		t.Errorf("rtlsdr_get_device_name(0) = %q", name)
	}
	// librtlsdr 0.6.0 (Debian) returns 0 and empty strings here rather
	// than -2: list() must cope with an empty serial.
	m, p, sn, rc := c.DeviceUSBStrings(0)
	t.Logf("rtlsdr_get_device_usb_strings(0) = %q %q %q rc %d", m, p, sn, rc)
}
