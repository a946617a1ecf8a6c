package rtlsdr

import (
	"errors"
	"strings"
	"testing"
)

func TestSnapGain(t *testing.T) {
	tests := []struct {
		want, got int
	}{
		{0, 0},
		{-50, 0},     // below the table
		{4, 0},       // nearer 0 than 9
		{5, 9},       // nearer 9
		{9, 9},       // exact
		{11, 9},      // 9 and 14 differ by 2 and 3
		{12, 14},     // 2 from 14, 3 from 9
		{57, 37},     // tie 37/77 → lower
		{100, 87},    // 13 from 87, 25 from 125
		{106, 87},    // tie 87/125 → lower
		{107, 125},   // nearer 125
		{200, 197},   // 20.0 dB → 19.7
		{203, 207},   // 20.3 → 20.7
		{300, 297},   // 30 dB → 29.7
		{400, 402},   // 40 dB → 40.2
		{437, 439},   // 434 is 3 away, 439 is 2
		{442, 439},   // tie 439/445 → lower
		{463, 480},   // 17 from 480, 18 from 445
		{488, 480},   // tie 480/496 → lower
		{496, 496},   // top
		{500, 496},   // above the table
		{10000, 496}, // far above
		{254, 254},   // every entry maps to itself
		{421, 421},
	}
	for _, tc := range tests {
		if got := SnapGain(r820tGains, tc.want); got != tc.got {
			t.Errorf("SnapGain(R820T, %d) = %d, want %d", tc.want, got, tc.got)
		}
	}
	for _, g := range r820tGains {
		if got := SnapGain(r820tGains, g); got != g {
			t.Errorf("SnapGain(R820T, %d) = %d, want itself", g, got)
		}
	}
	if got := SnapGain(nil, 123); got != 123 {
		t.Errorf("SnapGain(nil, 123) = %d, want 123", got)
	}
	// Unsorted tables (E4000's starts negative) work too; tie → lower.
	if got := SnapGain([]int{40, -10, 15}, 2); got != -10 {
		t.Errorf("unsorted nearest: got %d, want -10", got)
	}
	if got := SnapGain([]int{15, -11}, 2); got != -11 {
		t.Errorf("unsorted tie: got %d, want -11", got)
	}
}

func devsWith(serials ...string) []DeviceInfo {
	return newFake(serials...).devs
}

func TestChooseDevice(t *testing.T) {
	tests := []struct {
		name   string
		devs   []DeviceInfo
		serial string
		index  int
		is     error
		errHas []string
	}{
		{"none", nil, "", -1, ErrNoDevice, []string{"no RTL-SDR dongle found", "rtlsdr_get_device_count() = 0", "lsusb"}},
		{"none with serial", nil, "cw1", -1, ErrNoDevice, []string{"no RTL-SDR dongle found"}},
		{"only one, no serial", devsWith("00000001"), "", 0, nil, nil},
		{"by serial", devsWith("cw1", "cw2", "cw3"), "cw2", 1, nil, nil},
		{"serial missing", devsWith("cw1", "cw3"), "cw2", -1, ErrNoDevice,
			[]string{`serial "cw2"`, `#0 serial "cw1"`, `#1 serial "cw3"`}},
		{"duplicate serial", devsWith("00000001", "00000001", "cw3"), "00000001", -1, ErrAmbiguous,
			[]string{`2 dongles share serial "00000001"`, "rtl_eeprom", "-s", "#0", "#1"}},
		{"unique among duplicates", devsWith("00000001", "00000001", "cw3"), "cw3", 2, nil, nil},
		{"several, no serial", devsWith("cw1", "cw2"), "", -1, ErrAmbiguous,
			[]string{"2 RTL-SDR dongles present and no serial configured", `#0 serial "cw1"`, `#1 serial "cw2"`}},
		{"several identical, no serial", devsWith("00000001", "00000001"), "", -1, ErrAmbiguous,
			[]string{"no serial configured", "rtl_eeprom", "not unique"}},
		{"unreadable serial listed", []DeviceInfo{{Index: 0, Name: "Generic RTL2832U OEM"}}, "cw1", -1, ErrNoDevice,
			[]string{"(unreadable)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			idx, err := ChooseDevice(tc.devs, tc.serial)
			if idx != tc.index {
				t.Errorf("index = %d, want %d", idx, tc.index)
			}
			if tc.is == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.is) {
				t.Fatalf("error %v is not %v", err, tc.is)
			}
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestMapError(t *testing.T) {
	if err := mapError("rtlsdr_set_center_freq", 0); err != nil {
		t.Fatalf("rc 0: %v", err)
	}
	tests := []struct {
		fn     string
		rc     int
		is     error
		errHas []string
	}{
		{"rtlsdr_read_sync", -1, nil, []string{"rtlsdr_read_sync", "LIBUSB_ERROR_IO", "(-1)", "cable"}},
		{"rtlsdr_open", -3, ErrAccess, []string{"rtlsdr_open", "LIBUSB_ERROR_ACCESS", "udev", "plugdev"}},
		{"rtlsdr_read_sync", -4, ErrNoDevice, []string{"LIBUSB_ERROR_NO_DEVICE", "disconnected", "lsusb"}},
		{"rtlsdr_open", -6, ErrBusy, []string{"LIBUSB_ERROR_BUSY", "dvb_usb_rtl28xxu", "blacklist"}},
		{"rtlsdr_read_sync", -7, nil, []string{"LIBUSB_ERROR_TIMEOUT"}},
		{"rtlsdr_read_sync", -8, nil, []string{"LIBUSB_ERROR_OVERFLOW", "512"}},
		{"rtlsdr_read_sync", -9, nil, []string{"LIBUSB_ERROR_PIPE", "replug"}},
		{"rtlsdr_read_sync", -11, nil, []string{"LIBUSB_ERROR_NO_MEM", "usbfs_memory_mb"}},
		{"rtlsdr_read_sync", -12, nil, []string{"LIBUSB_ERROR_NOT_SUPPORTED"}},
		{"rtlsdr_read_sync", -99, nil, []string{"LIBUSB_ERROR_OTHER"}},
		{"rtlsdr_set_sample_rate", -22, nil, []string{"EINVAL", "900001–3200000"}},
		{"rtlsdr_open", -1, ErrNoDevice, []string{"no RTL-SDR dongle at that index"}},
		{"rtlsdr_open", -12, nil, []string{"-ENOMEM"}},
		{"rtlsdr_set_tuner_gain", -1, nil, []string{"librtlsdr call failed"}},
		{"rtlsdr_set_freq_correction", -2, nil, []string{"already set"}},
		{"rtlsdr_get_device_usb_strings", -2, ErrNoDevice, []string{"no RTL-SDR dongle at that index"}},
		{"rtlsdr_read_sync", -1234, nil, []string{"unknown error code", "(-1234)"}},
		{"rtlsdr_set_center_freq", 7, nil, []string{"unexpected positive", "(7)"}},
	}
	for _, tc := range tests {
		err := mapError(tc.fn, tc.rc)
		var e *Error
		if !errors.As(err, &e) || e.Func != tc.fn || e.Code != tc.rc {
			t.Errorf("mapError(%s, %d) = %#v", tc.fn, tc.rc, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "rtlsdr: "+tc.fn+" failed: ") {
			t.Errorf("mapError(%s, %d) = %q: does not name the function", tc.fn, tc.rc, err)
		}
		for _, s := range tc.errHas {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("mapError(%s, %d) = %q lacks %q", tc.fn, tc.rc, err, s)
			}
		}
		for _, sentinel := range []error{ErrNoDevice, ErrAccess, ErrBusy} {
			if got := errors.Is(err, sentinel); got != (sentinel == tc.is) {
				t.Errorf("mapError(%s, %d): errors.Is(%v) = %v", tc.fn, tc.rc, sentinel, got)
			}
		}
	}
}

func TestList(t *testing.T) {
	f := newFake("cw1", "cw2")
	devs, err := list(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 || devs[1] != (DeviceInfo{Index: 1, Name: "Generic RTL2832U OEM", Manufacturer: "Realtek", Product: "RTL2838UHIDIR", Serial: "cw2"}) {
		t.Fatalf("list = %+v", devs)
	}
	// Unreadable strings (no permission): still listed, and the error says why.
	f.usbRC[0] = -3
	devs, err = list(f)
	if len(devs) != 2 || devs[0].Serial != "" || devs[0].Name == "" || devs[1].Serial != "cw2" {
		t.Fatalf("list = %+v", devs)
	}
	if !errors.Is(err, ErrAccess) || !strings.Contains(err.Error(), "device #0") {
		t.Fatalf("err = %v", err)
	}
	devs, err = list(newFake())
	if err != nil || devs == nil || len(devs) != 0 {
		t.Fatalf("empty list = %#v, %v; want empty non-nil, nil", devs, err)
	}
}
