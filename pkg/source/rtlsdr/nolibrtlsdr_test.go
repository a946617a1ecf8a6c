//go:build !rtlsdr || !cgo

package rtlsdr

import (
	"errors"
	"testing"
)

func TestNotBuilt(t *testing.T) {
	if Available {
		t.Fatal("Available is true without librtlsdr")
	}
	want := "rtlsdr: this binary was built without librtlsdr support (rebuild with CGO_ENABLED=1 and -tags rtlsdr, with librtlsdr-dev installed)"
	d, err := Open(Config{})
	if d != nil || !errors.Is(err, ErrNotBuilt) || err.Error() != want {
		t.Fatalf("Open = %v, %v", d, err)
	}
	devs, err := List()
	if devs != nil || !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("List = %v, %v", devs, err)
	}
}
