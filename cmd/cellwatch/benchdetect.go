package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/cellwatch/cellwatch/pkg/config"
	"github.com/cellwatch/cellwatch/pkg/evaluate"
	"github.com/cellwatch/cellwatch/pkg/sim"
)

func init() {
	benchCommands["detect"] = benchCommand{
		"detection against the simulator's truth: Pd vs SNR next to the ideal energy detector, false detections per sensor-hour, technology confusion, sweep intercept, zone accuracy across sensors",
		runBenchDetect,
	}
}

// runBenchDetect is `cellwatch bench detect`: it runs the daemon's detection
// core with its default settings (config.Default: dwell, settle, warm-up,
// false-alarm budget, EU plan at 2.4 MS/s) over simulated scenes and scores
// it against their truth.
func runBenchDetect(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench detect", stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	plots := fs.String("plots", "", "write the Pd curves as PNG files into this directory")
	seed := fs.Int64("seed", 1, "simulation seed (every number is reproducible for a seed)")
	quick := fs.Bool("quick", false, "seconds instead of many minutes: few trials, little sensor time, coarse numbers")
	zoneScene := fs.String("zone-scene", "configs/scenes/block-large.yaml", "multi-sensor scene (YAML file) in which zone accuracy is scored")
	if rc := parseFlags(fs, args, stderr); rc >= 0 {
		return rc
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cellwatch bench detect: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	d := config.Default().Detect
	sw, err := evaluate.EUSweep(d.Dwell, d.Settle, d.Warmup, d.FalseAlarmsPerDay)
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch bench detect: %v\n", err)
		return exitError
	}
	sw.Priority = priorityRanges(d.Priority)
	zsc, err := sim.Load(*zoneScene)
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch bench detect: --zone-scene: %v\n", err)
		return exitUsage
	}
	cfg := evaluate.BenchConfig{Sweep: sw, Seed: *seed, Quick: *quick, ZoneScene: zsc}
	if !*asJSON {
		cfg.Progress = func(s string) { fmt.Fprintf(stderr, "bench detect: %s\n", s) }
	}
	r, err := evaluate.RunBench(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch bench detect: %v\n", err)
		return exitError
	}
	if *plots != "" {
		files, err := evaluate.WritePlots(r, *plots)
		if err != nil {
			fmt.Fprintf(stderr, "cellwatch bench detect: %v\n", err)
			return exitError
		}
		if !*asJSON {
			for _, f := range files {
				fmt.Fprintf(stderr, "bench detect: wrote %s\n", f)
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(stderr, "cellwatch bench detect: %v\n", err)
			return exitError
		}
		return exitOK
	}
	if err := r.WriteTable(stdout); err != nil {
		fmt.Fprintf(stderr, "cellwatch bench detect: %v\n", err)
		return exitError
	}
	return exitOK
}
