package main

import (
	"fmt"
	"io"
	"os"

	"github.com/cellwatch/cellwatch/pkg/config"
)

func runConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: cellwatch config check FILE")
		return exitUsage
	}
	fs := newFlags("config check", stderr)
	if rc := parseFlags(fs, args[1:], stderr); rc >= 0 {
		return rc
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: cellwatch config check FILE")
		return exitUsage
	}
	cfg, err := config.Load(fs.Arg(0), os.Environ())
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	if err := cfg.WriteYAML(stdout); err != nil {
		fmt.Fprintf(stderr, "cellwatch config check: %v\n", err)
		return exitError
	}
	return exitOK
}
