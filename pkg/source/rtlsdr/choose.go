package rtlsdr

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cellwatch/cellwatch/pkg/source"
)

// DeviceInfo is one dongle as librtlsdr enumerates it. Index is only valid
// until the next USB hot-plug; Serial is the stable identity (set with
// `rtl_eeprom -s`).
type DeviceInfo struct {
	Index        int
	Name         string // librtlsdr's name for the USB id, e.g. "Generic RTL2832U OEM"
	Manufacturer string
	Product      string
	Serial       string
}

func (d DeviceInfo) String() string {
	return fmt.Sprintf("#%d %q (%s %s, serial %q)", d.Index, d.Name, d.Manufacturer, d.Product, d.Serial)
}

// list enumerates the dongles through dev. Every device counted is
// returned; when the USB strings of some cannot be read (their serial is
// then empty) the error says why, typically missing permissions.
func list(dev device) ([]DeviceInfo, error) {
	n := dev.DeviceCount()
	devs := make([]DeviceInfo, 0, n)
	var errs []error
	for i := range n {
		d := DeviceInfo{Index: i, Name: dev.DeviceName(i)}
		m, p, s, rc := dev.DeviceUSBStrings(i)
		if rc != 0 {
			errs = append(errs, fmt.Errorf("device #%d: %w", i, mapError("rtlsdr_get_device_usb_strings", rc)))
		} else {
			d.Manufacturer, d.Product, d.Serial = m, p, s
		}
		devs = append(devs, d)
	}
	return devs, errors.Join(errs...)
}

// ChooseDevice picks the index of the dongle with the given serial. With an
// empty serial it takes the only dongle present. It refuses (ErrAmbiguous)
// when the serial is carried by several dongles — cheap dongles all ship
// with serial 00000001 — or when no serial is given and several dongles
// are present, since USB enumeration order is not stable across reboots.
func ChooseDevice(devs []DeviceInfo, serial string) (int, error) {
	if len(devs) == 0 {
		return -1, fmt.Errorf("%w: no RTL-SDR dongle found (rtlsdr_get_device_count() = 0): is it plugged in, and does `lsusb` show it (0bda:2838 for most dongles)?", ErrNoDevice)
	}
	if serial == "" {
		if len(devs) == 1 {
			return devs[0].Index, nil
		}
		msg := fmt.Sprintf("%d RTL-SDR dongles present and no serial configured; set the serial of the one to use: %s",
			len(devs), describe(devs))
		if dups := duplicates(devs); len(dups) > 0 {
			msg += "; " + dupAdvice(dups)
		}
		return -1, fmt.Errorf("%w: %s", ErrAmbiguous, msg)
	}
	var match []DeviceInfo
	for _, d := range devs {
		if d.Serial == serial {
			match = append(match, d)
		}
	}
	switch len(match) {
	case 0:
		return -1, fmt.Errorf("%w: no RTL-SDR dongle with serial %q; present: %s", ErrNoDevice, serial, describe(devs))
	case 1:
		return match[0].Index, nil
	}
	return -1, fmt.Errorf("%w: %d dongles share serial %q (%s); %s", ErrAmbiguous, len(match), serial,
		describe(match), dupAdvice([]string{serial}))
}

func describe(devs []DeviceInfo) string {
	s := make([]string, len(devs))
	for i, d := range devs {
		serial := fmt.Sprintf("%q", d.Serial)
		if d.Serial == "" {
			serial = "(unreadable)"
		}
		s[i] = fmt.Sprintf("#%d serial %s (%s)", d.Index, serial, d.Name)
	}
	return strings.Join(s, ", ")
}

// duplicates lists serials carried by more than one device.
func duplicates(devs []DeviceInfo) []string {
	seen := map[string]int{}
	var dups []string
	for _, d := range devs {
		seen[d.Serial]++
		if seen[d.Serial] == 2 && d.Serial != "" {
			dups = append(dups, d.Serial)
		}
	}
	return dups
}

func dupAdvice(serials []string) string {
	return fmt.Sprintf("serial %q is not unique: give each dongle its own serial with `rtl_eeprom -d <index> -s <serial>` (plug in one at a time, then replug)",
		strings.Join(serials, `", "`))
}

// SnapGain returns the entry of the device's gain table (tenths of a dB)
// nearest wantTenthsDB, the lower one on a tie.
func SnapGain(table []int, wantTenthsDB int) int { return source.SnapGain(table, wantTenthsDB) }
