package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"
)

// newFlags makes a flag set that reports its own errors through the return
// value, in the usual one-line form.
func newFlags(name string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args; it returns exitOK for --help, exitUsage for a bad
// flag, and -1 to carry on.
func parseFlags(fs *pflag.FlagSet, args []string, stderr io.Writer) int {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return -1
	case errors.Is(err, pflag.ErrHelp):
		return exitOK
	default:
		fmt.Fprintf(stderr, "cellwatch %s: %v\n", fs.Name(), err)
		return exitUsage
	}
}
