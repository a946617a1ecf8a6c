package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/cellwatch/cellwatch/internal/cputime"
	"github.com/cellwatch/cellwatch/pkg/config"
	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/dsp"
	"github.com/cellwatch/cellwatch/pkg/iq"
	"github.com/cellwatch/cellwatch/pkg/sim"
)

// benchCommand is one `cellwatch bench` sub-command.
type benchCommand struct {
	help string
	run  func(args []string, stdout, stderr io.Writer) int
}

// benchCommands are the sub-commands of `cellwatch bench`. Other files add
// theirs from an init function.
var benchCommands = map[string]benchCommand{
	"dsp": {"DSP core throughput per core, allocations per hop, and the CPU one dongle costs", runBenchDSP},
}

func runBench(args []string, stdout, stderr io.Writer) int {
	names := make([]string, 0, len(benchCommands))
	for name := range benchCommands {
		names = append(names, name)
	}
	slices.Sort(names)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w, rc := stderr, exitUsage
		if len(args) > 0 {
			w, rc = stdout, exitOK
		}
		fmt.Fprintln(w, "usage: cellwatch bench SUB-COMMAND [FLAGS]")
		fmt.Fprintln(w)
		for _, name := range names {
			fmt.Fprintf(w, "  %-8s %s\n", name, benchCommands[name].help)
		}
		return rc
	}
	c, ok := benchCommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "cellwatch bench: unknown sub-command %q (have: %s)\n", args[0], strings.Join(names, ", "))
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

// benchResult is one measured stage of `cellwatch bench dsp`.
type benchResult struct {
	Stage        string  `json:"stage"`
	FFTSize      int     `json:"fft_size"`
	Overlap      int     `json:"overlap_percent"`
	MSpsPerCore  float64 `json:"msps_per_core"` // million complex samples per CPU-second of one thread
	AllocsPerHop float64 `json:"allocs_per_hop"`
	SamplesHop   int     `json:"samples_per_hop"`
}

// dongleCost is what one dongle costs the daemon's detection core.
type dongleCost struct {
	SampleRate  float64 `json:"sample_rate"`
	DwellS      float64 `json:"dwell_s"`
	SettleS     float64 `json:"settle_s"`
	Duty        float64 `json:"duty"`          // dwell/(dwell+settle): the share of samples processed
	CoreShare   float64 `json:"core_fraction"` // of one core, DSP + detection
	DSPOnlyCore float64 `json:"core_fraction_dsp"`
}

type benchReport struct {
	CPU     string        `json:"cpu"`
	Arch    string        `json:"arch"`
	Kernels string        `json:"kernels"`
	Reps    int           `json:"reps"`
	Results []benchResult `json:"results"`
	Dongle  dongleCost    `json:"dongle"`
}

func runBenchDSP(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench dsp", stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	seconds := fs.Float64("seconds", 1, "seconds of 2.4 MS/s signal per measurement")
	reps := fs.Int("reps", 5, "repetitions; the median is reported")
	file := fs.String("file", "", "reference mode: run the C + FFTW reference's pipeline over this cu8 file (see scripts/bench-vs-fftw.sh)")
	n := fs.Int("n", 1024, "reference mode: FFT size")
	overlap := fs.Int("overlap", 0, "reference mode: frame overlap, 0 or 50 percent")
	hop := fs.Int("hop", 120000, "reference mode: samples per hop (frames never cross a hop)")
	spectra := fs.String("write-spectra", "", "reference mode: write the spectra as float32 [hops][N] to this file")
	compare := fs.String("compare", "", "reference mode: compare the spectra bin by bin with this float32 [hops][N] file (the reference's -w output)")
	tolerance := fs.Float64("tolerance", 1e-4, "reference mode: largest relative difference --compare accepts")
	profile := fs.String("cpuprofile", "", "write a Go CPU profile of the measurements to this file")
	if rc := parseFlags(fs, args, stderr); rc >= 0 {
		return rc
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cellwatch bench dsp: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintf(stderr, "cellwatch bench dsp: --cpuprofile: %v\n", err)
			return exitError
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "cellwatch bench dsp: --cpuprofile: %v\n", err)
			return exitError
		}
		defer pprof.StopCPUProfile()
	}
	if *reps < 1 || *reps > 1000 {
		fmt.Fprintf(stderr, "cellwatch bench dsp: --reps %d is outside 1..1000\n", *reps)
		return exitUsage
	}
	runtime.LockOSThread() // thread CPU time measures this goroutine only
	defer runtime.UnlockOSThread()
	if *file != "" {
		if *overlap != 0 && *overlap != 50 {
			fmt.Fprintf(stderr, "cellwatch bench dsp: --overlap %d: must be 0 or 50\n", *overlap)
			return exitUsage
		}
		if !(*tolerance > 0) {
			fmt.Fprintf(stderr, "cellwatch bench dsp: --tolerance %g must be positive\n", *tolerance)
			return exitUsage
		}
		return benchReference(refOptions{path: *file, n: *n, overlap: *overlap, hop: *hop, reps: *reps,
			spectra: *spectra, compare: *compare, tolerance: *tolerance}, stdout, stderr)
	}
	if !(*seconds >= 0.05 && *seconds <= 60) {
		fmt.Fprintf(stderr, "cellwatch bench dsp: --seconds %g is outside 0.05..60\n", *seconds)
		return exitUsage
	}
	rep, err := benchDSP(*seconds, *reps)
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch bench dsp: %v\n", err)
		return exitError
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "cellwatch bench dsp: %v\n", err)
			return exitError
		}
		return exitOK
	}
	fmt.Fprintf(stdout, "cpu: %s (%s), kernels: %s, one thread, median of %d\n\n", rep.CPU, rep.Arch, rep.Kernels, rep.Reps)
	fmt.Fprintf(stdout, "%-36s %6s %8s %10s %12s\n", "stage", "N", "overlap", "MS/s/core", "allocs/hop")
	for _, r := range rep.Results {
		fmt.Fprintf(stdout, "%-36s %6d %7d%% %10.1f %12g\n", r.Stage, r.FFTSize, r.Overlap, r.MSpsPerCore, r.AllocsPerHop)
	}
	d := rep.Dongle
	fmt.Fprintf(stdout, "\none dongle at %.1f MS/s, dwell %gms + settle %gms (duty %.0f%%): %.2f%% of one core (DSP alone %.2f%%)\n",
		d.SampleRate/1e6, d.DwellS*1e3, d.SettleS*1e3, 100*d.Duty, 100*d.CoreShare, 100*d.DSPOnlyCore)
	return exitOK
}

// measure runs pass reps times and returns the median thread CPU time of a
// pass and the heap allocations per pass.
func measure(reps int, pass func()) (time.Duration, float64) {
	pass() // warm caches and lazily sized state
	times := make([]time.Duration, reps)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for i := range times {
		t0 := cputime.Thread()
		pass()
		times[i] = cputime.Thread() - t0
	}
	runtime.ReadMemStats(&m1)
	slices.Sort(times)
	return times[reps/2], float64(m1.Mallocs-m0.Mallocs) / float64(reps)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown"
}

// benchSignal is a realistic dwell stream: the built-in corridor scene
// tuned to 898 MHz (a GSM call on B8 and the receiver's noise), cu8.
func benchSignal(fs float64, samples int) ([]byte, error) {
	sc, err := sim.Builtin("corridor-small")
	if err != nil {
		return nil, err
	}
	s, err := sim.New(sc, fs)
	if err != nil {
		return nil, err
	}
	s.Tune(898e6)
	raw := make([]byte, 2*samples)
	for got := 0; got < len(raw); {
		n := s.Generate(raw[got:])
		if n == 0 {
			return nil, fmt.Errorf("simulator produced no samples")
		}
		got += n
	}
	return raw, nil
}

func benchDSP(seconds float64, reps int) (*benchReport, error) {
	fs := float64(config.DefaultSampleRate)
	total := int(seconds * fs)
	raw, err := benchSignal(fs, total)
	if err != nil {
		return nil, err
	}
	rep := &benchReport{CPU: cpuModel(), Arch: runtime.GOARCH, Kernels: dsp.Kernels(), Reps: reps}
	msps := func(d time.Duration, samples int) float64 { return float64(samples) / d.Seconds() / 1e6 }

	// The reference pipeline, as ../shared/bench defines it: hops of
	// 120 000 samples, no overlap.
	const refHop = 120000
	hops := total / refHop
	if hops == 0 {
		return nil, fmt.Errorf("%g s is shorter than one %d-sample hop", seconds, refHop)
	}
	for _, n := range []int{256, 1024} {
		w, err := dsp.NewWelch(n, n)
		if err != nil {
			return nil, err
		}
		spec := make([]float32, n)
		var werr error
		d, allocs := measure(reps, func() {
			for h := 0; h < hops; h++ {
				if _, err := w.CU8(spec, raw[2*h*refHop:2*(h+1)*refHop]); err != nil {
					werr = err
				}
			}
		})
		if werr != nil {
			return nil, werr
		}
		rep.Results = append(rep.Results, benchResult{Stage: "reference pipeline (Welch)", FFTSize: n, MSpsPerCore: msps(d, hops*refHop),
			AllocsPerHop: allocs / float64(hops), SamplesHop: refHop})
	}

	// The daemon's chain per dwell, as pkg/sweep runs it: convert, STFT
	// grid (50 % overlap), then the detector on the hop's usable bins.
	def := config.Default().Detect
	dwell := int(def.Dwell.Seconds() * fs)
	dwells := total / dwell
	n := dsp.FFTSizeFor(fs)
	conv, err := dsp.NewConverter(iq.CU8)
	if err != nil {
		return nil, err
	}
	st, err := dsp.NewSTFT(n, fs, dwell)
	if err != nil {
		return nil, err
	}
	det, err := detect.NewDetector(detect.Config{SampleRate: fs, FFTSize: n, FrameHop: st.Hop(), Window: st.Window(),
		MaxFrames: st.FramesFor(dwell), FalseAlarmsPerDay: config.Default().Detect.FalseAlarmsPerDay})
	if err != nil {
		return nil, err
	}
	g := st.NewGrid()
	x := make([]complex64, dwell)
	state := det.NewState()
	bursts := make([]detect.Burst, 0, 256)
	lo, hi := n/10, n-n/10 // the hop's usable span: the tuner's anti-alias edges cut
	dspPass := func() {
		for i := 0; i < dwells; i++ {
			ns := conv.Convert(x, raw[2*i*dwell:2*(i+1)*dwell])
			st.Compute(g, x[:ns])
		}
	}
	t0 := 0.0
	fullPass := func() {
		for i := 0; i < dwells; i++ {
			ns := conv.Convert(x, raw[2*i*dwell:2*(i+1)*dwell])
			st.Compute(g, x[:ns])
			bursts = det.Process(state, g, detect.Frame{T0: t0, Centre: 898e6, Lo: lo, Hi: hi, DeferFrom: g.Frames}, bursts[:0])
			t0 += float64(dwell) / fs
		}
	}
	dd, da := measure(reps, dspPass)
	// Steady state: the detector's threshold cache fills over its first
	// couple of hundred visits of a tune (a daemon's first minutes).
	for w := 0; w*dwells < 300; w++ {
		fullPass()
	}
	fd, fa := measure(reps, fullPass)
	rep.Results = append(rep.Results,
		benchResult{Stage: "daemon DSP (convert + STFT grid)", FFTSize: n, Overlap: 50, MSpsPerCore: msps(dd, dwells*dwell), AllocsPerHop: da / float64(dwells), SamplesHop: dwell},
		benchResult{Stage: "daemon DSP + detection", FFTSize: n, Overlap: 50, MSpsPerCore: msps(fd, dwells*dwell), AllocsPerHop: fa / float64(dwells), SamplesHop: dwell})

	duty := def.Dwell.Seconds() / (def.Dwell + def.Settle).Seconds()
	rep.Dongle = dongleCost{
		SampleRate: fs, DwellS: def.Dwell.Seconds(), SettleS: def.Settle.Seconds(), Duty: duty,
		CoreShare:   fs * duty / (msps(fd, dwells*dwell) * 1e6),
		DSPOnlyCore: fs * duty / (msps(dd, dwells*dwell) * 1e6),
	}
	return rep, nil
}

// benchReference runs the C + FFTW reference's pipeline (../shared/bench)
// over a cu8 file and prints its figures in the reference's key=value form,
// so scripts/bench-vs-fftw.sh can set them side by side.
type refOptions struct {
	path, spectra, compare string
	n, overlap, hop, reps  int
	tolerance              float64
}

func benchReference(o refOptions, stdout, stderr io.Writer) int {
	path, n, overlap, hop, reps := o.path, o.n, o.overlap, o.hop, o.reps
	step := n
	if overlap == 50 {
		step = n / 2
	}
	w, err := dsp.NewWelch(n, step)
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch bench dsp: --n: %v\n", err)
		return exitUsage
	}
	if hop < n {
		fmt.Fprintf(stderr, "cellwatch bench dsp: --hop %d is shorter than one %d-point frame\n", hop, n)
		return exitUsage
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch bench dsp: %v\n", err)
		return exitError
	}
	hops := len(raw) / 2 / hop
	if hops == 0 {
		fmt.Fprintf(stderr, "cellwatch bench dsp: %s: %d samples is less than one %d-sample hop\n", path, len(raw)/2, hop)
		return exitError
	}
	spec := make([]float32, hops*n)
	frames := 0
	var werr error
	d, allocs := measure(reps, func() {
		for h := 0; h < hops; h++ {
			frames, err = w.CU8(spec[h*n:(h+1)*n], raw[2*h*hop:2*(h+1)*hop])
			if err != nil {
				werr = err
			}
		}
	})
	if werr != nil {
		fmt.Fprintf(stderr, "cellwatch bench dsp: %v\n", werr)
		return exitError
	}
	var sum float64
	for h := 0; h < hops; h++ {
		for k := 0; k < n; k++ {
			sum += float64(spec[h*n+k]) * float64(1+k%13)
		}
	}
	ms := float64(hops) * float64(hop) / 1e6
	fmt.Fprintf(stdout, "impl=cellwatch-%s N=%d overlap=%d hops=%d frames/hop=%d reps=%d median_cpu_s=%.4f MSps_cpu=%.2f allocs_per_hop=%g checksum=%.9e\n",
		dsp.Kernels(), n, overlap, hops, frames, reps, d.Seconds(), ms/d.Seconds(), allocs/float64(hops), sum)
	if o.spectra != "" {
		out := make([]byte, 4*len(spec))
		for i, v := range spec {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
		}
		if err := os.WriteFile(o.spectra, out, 0o644); err != nil {
			fmt.Fprintf(stderr, "cellwatch bench dsp: %v\n", err)
			return exitError
		}
	}
	if o.compare != "" {
		return compareSpectra(o.compare, spec, n, o.tolerance, stdout, stderr)
	}
	return exitOK
}

// compareSpectra checks spec against a float32 [hops][n] file bin by bin:
// |a−b| ≤ tol·|a| everywhere, a being the file's value.
func compareSpectra(path string, spec []float32, n int, tol float64, stdout, stderr io.Writer) int {
	ref, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch bench dsp: --compare: %v\n", err)
		return exitError
	}
	if len(ref) != 4*len(spec) {
		fmt.Fprintf(stderr, "cellwatch bench dsp: --compare: %s holds %d bytes, want %d (%d hops of %d float32 bins)\n",
			path, len(ref), 4*len(spec), len(spec)/n, n)
		return exitError
	}
	worst, at := 0.0, 0
	for i, v := range spec {
		a := float64(math.Float32frombits(binary.LittleEndian.Uint32(ref[4*i:])))
		d := math.Abs(float64(v) - a)
		if a != 0 {
			d /= math.Abs(a)
		} else if d != 0 {
			d = math.Inf(1)
		}
		if d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	fmt.Fprintf(stdout, "compare=%s bins=%d max_rel_diff=%.3g at_hop=%d at_bin=%d tolerance=%g\n", path, len(spec), worst, at/n, at%n, tol)
	if !(worst <= tol) {
		fmt.Fprintf(stderr, "cellwatch bench dsp: spectra differ from %s: relative difference %.3g at hop %d bin %d exceeds %g\n", path, worst, at/n, at%n, tol)
		return exitError
	}
	return exitOK
}
