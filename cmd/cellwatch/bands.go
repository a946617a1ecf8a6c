package main

import (
	"fmt"
	"io"

	"github.com/cellwatch/cellwatch/pkg/bands"
	"github.com/cellwatch/cellwatch/pkg/config"
	"github.com/cellwatch/cellwatch/pkg/sweep"
)

func runBands(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bands", stderr)
	planName := fs.String("plan", "eu", "band plan: eu or na")
	rate := fs.Float64("sample-rate", config.DefaultSampleRate, "dongle sample rate, Hz")
	def := config.Default().Detect
	dwell := fs.Duration("dwell", def.Dwell, "time spent on each hop")
	settle := fs.Duration("settle", def.Settle, "time discarded after each retune")
	if rc := parseFlags(fs, args, stderr); rc >= 0 {
		return rc
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cellwatch bands: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *dwell <= 0 || *settle < 0 {
		fmt.Fprintf(stderr, "cellwatch bands: --dwell must be positive and --settle not negative (got %v, %v)\n", *dwell, *settle)
		return exitUsage
	}
	if *rate < 225001 || *rate > 3.2e6 {
		fmt.Fprintf(stderr, "cellwatch bands: --sample-rate: %g Hz is not a rate an RTL-SDR samples at (225 kS/s – 3.2 MS/s)\n", *rate)
		return exitUsage
	}
	p, err := bands.PlanByName(*planName)
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch bands: --plan: %v\n", err)
		return exitUsage
	}
	hp, err := sweep.NewHopPlan(p, sweep.HopPlanConfig{SampleRate: *rate})
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch bands: %v\n", err)
		return exitError
	}
	if err := hp.WriteTable(stdout, *dwell, *settle); err != nil {
		fmt.Fprintf(stderr, "cellwatch bands: %v\n", err)
		return exitError
	}
	return exitOK
}
