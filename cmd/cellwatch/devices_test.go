package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cellwatch/cellwatch/pkg/source/rtlsdr"
)

// No dongle exists on test machines: devices must say why it lists none,
// in one line, and fail.
func TestDevicesWithoutDongles(t *testing.T) {
	var out, errb bytes.Buffer
	rc := run([]string{"devices"}, &out, &errb)
	msg := strings.TrimRight(errb.String(), "\n")
	if rc != exitError || strings.Contains(msg, "\n") {
		t.Fatalf("exit %d, stderr %q", rc, msg)
	}
	want := "no RTL-SDR dongle found"
	if !rtlsdr.Available {
		want = "without librtlsdr support"
	}
	if !strings.Contains(msg, want) {
		t.Errorf("stderr %q does not say %q", msg, want)
	}
}
