package main

import (
	"fmt"
	"io"
)

// runDevices lists dongles. The librtlsdr binding needs cgo and the build
// tag rtlsdr; this default build has neither, and says so.
func runDevices(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "cellwatch devices: unexpected argument %q\n", args[0])
		return exitUsage
	}
	fmt.Fprintln(stderr, "cellwatch devices: this binary was built without RTL-SDR support (librtlsdr needs cgo and `go build -tags rtlsdr`); no dongles can be listed")
	return exitError
}
