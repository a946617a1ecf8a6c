package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/cellwatch/cellwatch/pkg/config"
	"github.com/cellwatch/cellwatch/pkg/iq"
	"github.com/cellwatch/cellwatch/pkg/sim"
)

// runSim writes fixed-tune SigMF recordings of a scene plus its truth. A
// scene with one sensor gives SCENE_FREQM_RATEM.sigmf-*; one with several
// gives SCENE_SENSOR_FREQM_RATEM.sigmf-* per sensor (--sensor picks one).
// The truth (SCENE.truth.json) is the same for every sensor: it carries
// each emitter's zone and, per transmission, the power at every sensor.
func runSim(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sim", stderr)
	sceneName := fs.String("scene", "corridor-small", fmt.Sprintf("built-in scene %v or a scene YAML file (configs/scenes/)", sim.BuiltinNames()))
	sensor := fs.String("sensor", "", "record only this sensor of a multi-sensor scene (default: every sensor)")
	out := fs.String("out", "", "directory for the recordings and the truth (created if missing)")
	duration := fs.Duration("duration", 5*time.Second, "length of each recording")
	rate := fs.Float64("sample-rate", config.DefaultSampleRate, "sample rate, Hz")
	freqs := fs.Float64Slice("freq", nil, "tune frequency in Hz, repeatable (default: one recording per phone's channel)")
	seed := fs.Int64("seed", 0, "random seed (default: the scene's)")
	if rc := parseFlags(fs, args, stderr); rc >= 0 {
		return rc
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "cellwatch sim: "+format+"\n", a...)
		return exitError
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "cellwatch sim: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	case *out == "":
		fmt.Fprintln(stderr, "cellwatch sim: --out is required")
		return exitUsage
	case *duration <= 0 || *duration > 10*time.Minute:
		fmt.Fprintf(stderr, "cellwatch sim: --duration: %v is outside (0, 10m]\n", *duration)
		return exitUsage
	}
	sc, err := sim.Load(*sceneName)
	if err != nil {
		return fail("--scene: %v", err)
	}
	if *seed != 0 {
		sc.Seed = *seed
	}
	sensors := sc.SensorList()
	multi := len(sensors) > 1
	if *sensor != "" {
		one, err := sc.ForSensor(*sensor)
		if err != nil {
			return fail("--sensor: %v", err)
		}
		sensors = []sim.Sensor{one.Sensor}
	}
	tunes := *freqs
	if len(tunes) == 0 {
		for _, p := range sc.Phones {
			if !slices.Contains(tunes, p.FreqHz) {
				tunes = append(tunes, p.FreqHz)
			}
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fail("--out: %v", err)
	}
	var truthSim *sim.Simulator
	for _, se := range sensors {
		at, err := sc.ForSensor(se.Name)
		if err != nil {
			return fail("%v", err)
		}
		for _, f := range tunes {
			s, err := sim.New(at, *rate)
			if err != nil {
				return fail("%v", err)
			}
			name := fmt.Sprintf("%s_%sM_%sM", sc.Name, trimFloat(f/1e6), trimFloat(*rate/1e6))
			if multi {
				name = fmt.Sprintf("%s_%s_%sM_%sM", sc.Name, se.Name, trimFloat(f/1e6), trimFloat(*rate/1e6))
			}
			base := filepath.Join(*out, name)
			if err := recordSim(s, f, *duration, base); err != nil {
				return fail("%v", err)
			}
			fmt.Fprintln(stdout, base+iq.SigMFMetaExt)
			truthSim = s
		}
	}
	truth := filepath.Join(*out, sc.Name+".truth.json")
	tf, err := os.Create(truth)
	if err != nil {
		return fail("%v", err)
	}
	err = truthSim.WriteTruthJSON(tf)
	if cerr := tf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail("%s: %v", truth, err)
	}
	fmt.Fprintln(stdout, truth)
	return exitOK
}

// recordSim tunes s to f and streams d of samples into BASE.sigmf-*,
// annotated with what the truth says overlaps the recorded span.
func recordSim(s *sim.Simulator, f float64, d time.Duration, base string) error {
	fs := s.SampleRate()
	s.Tune(f)
	meta := &iq.SigMF{Global: iq.SigMFGlobal{
		Datatype: iq.CU8.SigMFDatatype(), SampleRate: fs, Version: iq.SigMFVersion,
		Description: fmt.Sprintf("cellwatch simulator, scene %s, sensor %s, seed %d", s.Scene().Name, s.Scene().Sensor.Name, s.Scene().Seed),
		Recorder:    "cellwatch sim " + version,
	}, Captures: []iq.SigMFCapture{{SampleStart: 0, Frequency: f}}}
	for _, r := range s.TruthBetween(0, d) {
		if math.Abs(r.FreqHz-f) > fs/2+r.BandwidthHz/2 {
			continue
		}
		meta.Annotations = append(meta.Annotations, iq.SigMFAnnotation{
			SampleStart: uint64(r.Start.Seconds() * fs), SampleCount: uint64((r.End - r.Start).Seconds() * fs),
			FreqLowerEdge: r.FreqHz - r.BandwidthHz/2, FreqUpperEdge: r.FreqHz + r.BandwidthHz/2,
			Label: string(r.Tech) + " " + r.Kind, Comment: fmt.Sprintf("%s %.1f dBm", r.Emitter, r.PowerDBm), Generator: "cellwatch sim",
		})
	}
	w, err := iq.CreateSigMF(base, meta)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<16)
	left := int64(d.Seconds()*fs) * 2
	for left > 0 {
		n := s.Generate(buf[:min(int64(len(buf)), left)])
		if _, err := w.Write(buf[:n]); err != nil {
			w.Abort()
			return err
		}
		left -= int64(n)
	}
	return w.Commit()
}

// trimFloat prints a number without trailing zeros (882.4, 2.4).
func trimFloat(x float64) string {
	return fmt.Sprintf("%g", math.Round(x*1e4)/1e4)
}
