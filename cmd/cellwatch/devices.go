package main

import (
	"fmt"
	"io"

	"github.com/cellwatch/cellwatch/pkg/source/rtlsdr"
)

// runDevices lists the RTL-SDR dongles librtlsdr sees. The binding needs
// cgo and the build tag rtlsdr; a build without it says so.
func runDevices(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "cellwatch devices: unexpected argument %q\n", args[0])
		return exitUsage
	}
	if !rtlsdr.Available {
		fmt.Fprintf(stderr, "cellwatch devices: %v\n", rtlsdr.ErrNotBuilt)
		return exitError
	}
	devs, err := rtlsdr.List()
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch devices: %v\n", err)
		return exitError
	}
	if len(devs) == 0 {
		fmt.Fprintln(stderr, "cellwatch devices: no RTL-SDR dongle found (is it plugged in? does lsusb show it? is the DVB driver blacklisted?)")
		return exitError
	}
	fmt.Fprintf(stdout, "%-5s  %-10s  %-24s  %-24s  %s\n", "index", "serial", "manufacturer", "product", "name")
	for _, d := range devs {
		fmt.Fprintf(stdout, "%-5d  %-10s  %-24s  %-24s  %s\n", d.Index, d.Serial, d.Manufacturer, d.Product, d.Name)
	}
	return exitOK
}
