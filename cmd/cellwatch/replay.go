package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/cellwatch/cellwatch/pkg/bands"
	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/iq"
	"github.com/cellwatch/cellwatch/pkg/source"
	"github.com/cellwatch/cellwatch/pkg/sweep"
)

// emissionRecord is the replay --json line: design.md §4, field for field.
// File is added only when several files are replayed; Reason only for
// clutter (--all).
type emissionRecord struct {
	File        string  `json:"file,omitempty"`
	StartS      float64 `json:"start_s"`
	EndS        float64 `json:"end_s"`
	FreqHz      int64   `json:"freq_hz"`
	BandwidthHz int64   `json:"bandwidth_hz"`
	Tech        string  `json:"tech"`
	Band        string  `json:"band"`
	Bursts      int     `json:"bursts"`
	SNRdB       float64 `json:"snr_db"`
	PowerDBFS   float64 `json:"power_dbfs"`
	Reason      string  `json:"reason,omitempty"`
}

func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}

func newRecord(e detect.Emission) emissionRecord {
	return emissionRecord{
		StartS: round(e.Start, 4), EndS: round(e.End, 4),
		FreqHz: int64(math.Round(e.FreqHz)), BandwidthHz: int64(math.Round(e.BandwidthHz)),
		Tech: string(e.Tech), Band: e.Band, Bursts: e.Bursts,
		SNRdB: round(e.SNRdB, 1), PowerDBFS: round(e.PowerDBFS, 1), Reason: e.Reason,
	}
}

// formatLine is the readable form of an emission.
func formatLine(r emissionRecord) string {
	var b strings.Builder
	if r.File != "" {
		fmt.Fprintf(&b, "%s  ", r.File)
	}
	fmt.Fprintf(&b, "%9.4f–%.4f s  %s  %7.1f kHz  %-16s %-4s %4d burst", r.StartS, r.EndS, formatFreq(float64(r.FreqHz)),
		float64(r.BandwidthHz)/1e3, r.Tech, orDash(r.Band), r.Bursts)
	if r.Bursts != 1 {
		b.WriteString("s")
	} else {
		b.WriteString(" ")
	}
	fmt.Fprintf(&b, "  SNR %5.1f dB  %6.1f dBFS", r.SNRdB, r.PowerDBFS)
	if r.Reason != "" {
		fmt.Fprintf(&b, "  (%s)", r.Reason)
	}
	return b.String()
}

// formatFreq prints an RF frequency in MHz; below the tuner's 24 MHz it
// can only be an offset from an unknown tune (a baseband recording), marked Δ.
func formatFreq(hz float64) string {
	if hz >= 24e6 {
		return fmt.Sprintf("%10.4f MHz", hz/1e6)
	}
	return fmt.Sprintf("Δ%+9.4f MHz", hz/1e6)
}

func runReplay(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("replay", stderr)
	format := fs.String("format", "", "sample format: cu8, cs8, cs16 or cf32 (default: from SigMF metadata or the file name)")
	rate := fs.Float64("sample-rate", 0, "sample rate in Hz (default: from SigMF metadata or the file name)")
	freq := fs.Float64("center-freq", 0, "tune frequency in Hz (default: from SigMF metadata or the file name; 0 = unknown)")
	asJSON := fs.Bool("json", false, "print JSON lines (design.md §4) instead of readable lines")
	all := fs.Bool("all", false, "also print clutter (spurs, carriers, chirps, downlink) with tech \"clutter\"")
	planName := fs.String("plan", "eu", "band plan used to name bands and to recognise downlinks: eu or na")
	fapd := fs.Float64("false-alarms-per-day", 1, "false-alarm budget that sets the detection thresholds")
	if rc := parseFlags(fs, args, stderr); rc >= 0 {
		return rc
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: cellwatch replay [--format=cu8|cs8|cs16|cf32] [--sample-rate=HZ] [--center-freq=HZ] [--json] FILE...")
		return exitUsage
	}
	var opts source.FileOptions
	if *format != "" {
		f, err := iq.ParseFormat(*format)
		if err != nil {
			fmt.Fprintf(stderr, "cellwatch replay: --format: %v\n", err)
			return exitUsage
		}
		opts.Format = f
	}
	if *rate < 0 || math.IsNaN(*rate) || math.IsInf(*rate, 0) {
		fmt.Fprintf(stderr, "cellwatch replay: --sample-rate: %g is not a positive rate\n", *rate)
		return exitUsage
	}
	if *freq < 0 || math.IsNaN(*freq) || math.IsInf(*freq, 0) {
		fmt.Fprintf(stderr, "cellwatch replay: --center-freq: %g is not a frequency\n", *freq)
		return exitUsage
	}
	if !(*fapd > 0) {
		fmt.Fprintf(stderr, "cellwatch replay: --false-alarms-per-day: %g must be positive\n", *fapd)
		return exitUsage
	}
	opts.SampleRate, opts.CenterFreq = *rate, *freq
	plan, err := bands.PlanByName(*planName)
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch replay: --plan: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tty := !*asJSON && isTerminal(stdout) && isTerminal(stderr)
	enc := json.NewEncoder(stdout)
	rc := exitOK
	for _, path := range fs.Args() {
		if err := replayFile(ctx, path, opts, plan, *fapd, *all, fs.NArg() > 1, tty, *asJSON, enc, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "cellwatch replay: %v\n", err)
			rc = exitError
		}
		if ctx.Err() != nil {
			return exitError
		}
	}
	return rc
}

func replayFile(ctx context.Context, path string, opts source.FileOptions, plan bands.Plan, fapd float64, all, many, tty, asJSON bool,
	enc *json.Encoder, stdout, stderr io.Writer) error {
	src, err := source.OpenFile(path, opts)
	if err != nil {
		return err
	}
	defer src.Close()
	var bar *progressBar
	total := src.TotalSamples()
	if tty && float64(total)/src.Info().SampleRate >= 2 {
		bar = newProgressBar(stderr, path, total)
	}
	var werr error
	emit := func(e detect.Emission) {
		r := newRecord(e)
		if many {
			r.File = path
		}
		if bar != nil {
			bar.clear()
		}
		if asJSON {
			werr = enc.Encode(r)
		} else if _, err := fmt.Fprintln(stdout, formatLine(r)); err != nil {
			werr = err
		}
	}
	progress := func(n int64) {
		if bar != nil {
			bar.update(n)
		}
	}
	err = sweep.Stream(ctx, src, sweep.StreamConfig{Plan: plan, FalseAlarmsPerDay: fapd, All: all}, emit, progress)
	if bar != nil {
		bar.clear()
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: interrupted", path)
	}
	if err != nil {
		return err
	}
	return werr
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressBar draws one line on a terminal, at most ten times a second.
type progressBar struct {
	w     io.Writer
	name  string
	total int64
	last  time.Time
	start time.Time
}

func newProgressBar(w io.Writer, name string, total int64) *progressBar {
	return &progressBar{w: w, name: name, total: total, start: time.Now()}
}

func (p *progressBar) update(n int64) {
	if time.Since(p.last) < 100*time.Millisecond && n < p.total {
		return
	}
	p.last = time.Now()
	frac := float64(n) / float64(max(1, p.total))
	const width = 30
	done := int(frac * width)
	fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%%", p.name, strings.Repeat("#", done), strings.Repeat(".", width-done), 100*frac)
}

func (p *progressBar) clear() {
	fmt.Fprint(p.w, "\r\033[K")
}
