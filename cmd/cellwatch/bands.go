package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

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
	prioFlag := fs.StringSlice("priority", nil, "frequency ranges visited twice per pass, FROM-TO in MHz (e.g. 832.0-833.2); repeat or comma-separate")
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
	var prio []bands.Range
	for _, r := range *prioFlag {
		lo, hi, ok := strings.Cut(r, "-")
		from, err1 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
		to, err2 := strconv.ParseFloat(strings.TrimSpace(hi), 64)
		if !ok || err1 != nil || err2 != nil || !(from > 0 && to > from) {
			fmt.Fprintf(stderr, "cellwatch bands: --priority: %q is not FROM-TO in MHz with 0 < FROM < TO\n", r)
			return exitUsage
		}
		prio = append(prio, bands.Range{LowHz: from * 1e6, HighHz: to * 1e6})
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
	if err := hp.WriteTable(stdout, *dwell, *settle, prio); err != nil {
		fmt.Fprintf(stderr, "cellwatch bands: %v\n", err)
		return exitError
	}
	return exitOK
}

// priorityRanges converts the configured detect.priority ranges.
func priorityRanges(rs []config.FreqRange) []bands.Range {
	out := make([]bands.Range, 0, len(rs))
	for _, r := range rs {
		out = append(out, bands.Range{LowHz: r.FromMHz * 1e6, HighHz: r.ToMHz * 1e6})
	}
	return out
}
