//go:build !rtlsdr || !cgo

package rtlsdr

// Available reports whether this binary can talk to dongles: false, it was
// built without cgo or without -tags rtlsdr.
const Available = false

// Open always fails with ErrNotBuilt in this build.
func Open(cfg Config) (*Dongle, error) { return nil, ErrNotBuilt }

// List always fails with ErrNotBuilt in this build.
func List() ([]DeviceInfo, error) { return nil, ErrNotBuilt }
