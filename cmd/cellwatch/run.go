package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cellwatch/cellwatch/pkg/alert"
	"github.com/cellwatch/cellwatch/pkg/bands"
	"github.com/cellwatch/cellwatch/pkg/config"
	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/metrics"
	"github.com/cellwatch/cellwatch/pkg/server"
	"github.com/cellwatch/cellwatch/pkg/source"
	"github.com/cellwatch/cellwatch/pkg/sweep"
)

func runDaemon(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", stderr)
	cfgFile := fs.String("config.file", "", "configuration file (default: the built-in simulated corridor demo)")
	listen := fs.String("web.listen-address", "", "address for /metrics and the probes (default: web.listen_address of the config, :9818)")
	telemetry := fs.String("web.telemetry-path", "", "path of the metrics (default: web.telemetry_path of the config, /metrics)")
	webConfig := fs.String("web.config.file", "", "exporter-toolkit web configuration: TLS and basic auth (default: web.config_file of the config, none)")
	duration := fs.Duration("run.duration", 0, "stop cleanly after this long (0: run until SIGTERM)")
	logLevel := fs.String("log.level", "", "log level: debug, info, warn or error (default: log.level of the config)")
	logFormat := fs.String("log.format", "", "log format: logfmt or json (default: log.format of the config)")
	if rc := parseFlags(fs, args, stderr); rc >= 0 {
		return rc
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cellwatch run: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *duration < 0 {
		fmt.Fprintf(stderr, "cellwatch run: --run.duration: %v is negative\n", *duration)
		return exitUsage
	}
	cfg, err := config.Load(*cfgFile, os.Environ())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	// Flags override the file, at start and on every reload; the result is
	// validated as a whole.
	overrides := func(cfg *config.Config) {
		for _, o := range []struct {
			flag string
			dst  *string
		}{{*listen, &cfg.Web.ListenAddress}, {*telemetry, &cfg.Web.TelemetryPath}, {*webConfig, &cfg.Web.ConfigFile}, {*logLevel, &cfg.Log.Level}, {*logFormat, &cfg.Log.Format}} {
			if o.flag != "" {
				*o.dst = o.flag
			}
		}
	}
	overrides(cfg)
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	level := new(slog.LevelVar)
	log := newLogger(cfg.Log, level, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	d, err := newDaemon(cfg, *cfgFile, log, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch: %v\n", err)
		return exitError
	}
	d.overrides, d.logLevel = overrides, level
	if err := d.run(ctx); err != nil {
		log.Error("stopped", "err", err)
		var lost *receiverLostError
		if errors.As(err, &lost) {
			return exitReceiverLost
		}
		return exitError
	}
	return exitOK
}

// newLogger logs at level, which it sets from c; a reload may change it.
func newLogger(c config.Log, level *slog.LevelVar, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.Level)) // validated by config
	level.Set(lvl)
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// receiver is one configured source with what sweeps it.
type receiver struct {
	index   int
	cfg     config.Source
	src     source.Source
	sweeper *sweep.Sweeper // tunable sources
	stream  bool           // recordings: fixed tune
	// healthMu guards src swaps, failed and lastHealth: the source's
	// counters at the last poll, to turn them into metric increments.
	healthMu   sync.Mutex
	failed     bool
	lastHealth source.HealthStats
	lastFreq   float64 // tune of the last hop, to count real retunes
	fullDBm    float64 // input power at full scale; NaN: uncalibrated

	spectrum hopScratch // the sweeper goroutine's, for publishHop

	// anchor maps stream time to wall time: the stream time and wall time
	// of the latest dwell (or chunk). Emissions close after the dwell that
	// ends them, so the offsets are small and never reach into the future.
	anchorMu     sync.Mutex
	anchorStream float64
	anchorWall   time.Time
}

// pollHealth turns the receiver's own counters into metric increments and
// its link state into cellwatch_sdr_up. It runs after every hop and every
// second (so an outage shows while no hop completes).
func (d *daemon) pollHealth(r *receiver) {
	r.healthMu.Lock()
	defer r.healthMu.Unlock()
	hs, ok := r.src.(source.Health)
	if !ok || r.failed {
		return
	}
	st := hs.Health()
	name := r.cfg.Name
	d.m.DroppedTotal.WithLabelValues(name).Add(float64(st.Dropped - r.lastHealth.Dropped))
	d.m.ReconnectsTotal.WithLabelValues(name).Add(float64(st.Reconnects - r.lastHealth.Reconnects))
	if st.Down {
		d.m.SDRUp.WithLabelValues(name).Set(0)
	} else {
		d.m.SDRUp.WithLabelValues(name).Set(1)
	}
	r.lastHealth = st
}

// setFailed marks a receiver as failed (being reopened, sdr_up 0) or back
// in service with a new source (counters restart).
func (d *daemon) setFailed(r *receiver, failed bool, src source.Source) {
	r.healthMu.Lock()
	defer r.healthMu.Unlock()
	r.failed = failed
	if src != nil {
		r.src = src
		r.lastHealth = source.HealthStats{}
	}
	up := 1.0
	if failed {
		up = 0
	}
	d.m.SDRUp.WithLabelValues(r.cfg.Name).Set(up)
}

func (r *receiver) setAnchor(stream float64, wall time.Time) {
	r.anchorMu.Lock()
	r.anchorStream, r.anchorWall = stream, wall
	r.anchorMu.Unlock()
}

// wall is the wall-clock time of stream time t.
func (r *receiver) wall(t float64) time.Time {
	r.anchorMu.Lock()
	defer r.anchorMu.Unlock()
	return r.anchorWall.Add(time.Duration((t - r.anchorStream) * float64(time.Second)))
}

type daemon struct {
	cfg      *config.Config
	cfgPath  string
	log      *slog.Logger
	out      io.Writer
	outMu    sync.Mutex
	m        *metrics.Metrics
	srv      *server.Server
	plan     bands.Plan
	rx       []*receiver
	engine   *alert.Engine
	dispatch *alert.Dispatcher
	al       *alerting // alerting.go
	start    time.Time
	warmEnd  time.Time

	alertMu   sync.Mutex
	mu        sync.Mutex
	hopFloors map[string]map[int]float64 // receiver → hop index → floor dBm
	hopPeaks  map[string]map[int]float64
	hopOcc    map[string]map[int]float64
	hopBands  map[int]string

	// Operations (reload.go, notify.go): the configuration last loaded
	// (live; d.cfg is what the receivers were built with), the flags that
	// override every load, the log level a reload may change, systemd.
	live      atomic.Pointer[config.Config]
	reloadMu  sync.Mutex
	overrides func(*config.Config)
	logLevel  *slog.LevelVar
	notify    *systemdNotifier
	emissions *server.EmissionLog
	spectrum  *server.Spectrum
}

func newDaemon(cfg *config.Config, cfgPath string, log *slog.Logger, out io.Writer) (*daemon, error) {
	plan, err := bands.PlanByName(cfg.Plan)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	d := &daemon{
		cfg: cfg, cfgPath: cfgPath, log: log, out: out, plan: plan,
		m:         metrics.New(metrics.Build{Version: version, Revision: revision}),
		hopFloors: map[string]map[int]float64{}, hopPeaks: map[string]map[int]float64{},
		hopOcc: map[string]map[int]float64{}, hopBands: map[int]string{},
	}
	for _, sev := range []alert.Severity{alert.SeverityRisk, alert.SeverityThreat} {
		d.m.AlertsFiring.WithLabelValues(cfg.Sensor.Zone, string(sev)).Set(0)
	}
	d.m.ConfigReloadOK.Set(1)
	d.m.ConfigReloadTime.Set(float64(time.Now().Unix()))
	d.live.Store(cfg)
	d.overrides, d.logLevel = func(*config.Config) {}, new(slog.LevelVar)
	d.notify = newSystemdNotifier(log)
	d.emissions, d.spectrum = server.NewEmissionLog(server.DefaultEmissionLogSize), server.NewSpectrum()
	d.srv = server.New(server.Config{Registry: d.m.Registry, TelemetryPath: cfg.Web.TelemetryPath, Logger: log,
		Emissions: d.emissions, Spectrum: d.spectrum, Reload: func() error { return d.reload("POST /-/reload") }})
	if err := d.openSources(); err != nil {
		d.closeSources()
		return nil, err
	}
	if err := d.setupAlerts(); err != nil {
		d.closeAlerts()
		d.closeSources()
		return nil, err
	}
	return d, nil
}

// openSources opens every configured receiver and shares the hop plan
// among the tunable ones.
func (d *daemon) openSources() error {
	var tunable []*receiver
	for i, sc := range d.cfg.Sources {
		r := &receiver{index: i, cfg: sc, fullDBm: math.NaN()}
		src, err := openSource(context.Background(), i, sc)
		if err != nil {
			return err
		}
		r.src, r.stream = src, !src.Info().Tunable
		if c, ok := r.src.(source.Calibrated); ok {
			r.fullDBm = c.FullScaleDBm()
		}
		d.rx = append(d.rx, r)
		if !r.stream {
			tunable = append(tunable, r)
		}
	}
	if len(tunable) == 0 {
		return nil
	}
	// One plan per sample rate would be needed if receivers differed; the
	// config's sources share the plan's geometry when they share a rate.
	var want [][]string
	for _, r := range tunable {
		want = append(want, r.cfg.Bands)
	}
	hp, err := sweep.NewHopPlan(d.plan, sweep.HopPlanConfig{SampleRate: tunable[0].src.Info().SampleRate})
	if err != nil {
		return fmt.Errorf("hop plan: %w", err)
	}
	for _, h := range hp.Hops {
		d.hopBands[h.Index] = h.Band
	}
	shares, unswept, err := sweep.AssignHops(hp.Hops, want)
	if err != nil {
		return fmt.Errorf("sources: %w", err)
	}
	if err := d.addReferenceHops(shares, len(hp.Hops)); err != nil { // alerting.go
		return err
	}
	if len(unswept) > 0 {
		d.log.Warn("bands of the plan that no source sweeps (every source lists its bands)", "plan", d.cfg.Plan, "unswept", unswept)
	}
	for i, r := range tunable {
		if r.src.Info().SampleRate != tunable[0].src.Info().SampleRate {
			return fmt.Errorf("sources: %s samples at %g S/s and %s at %g S/s: sweeping receivers must share one sample rate",
				tunable[0].cfg.Name, tunable[0].src.Info().SampleRate, r.cfg.Name, r.src.Info().SampleRate)
		}
		sched := sweep.NewSchedule(shares[i], priorityRanges(d.cfg.Detect.Priority), d.cfg.Detect.Dwell, d.cfg.Detect.Settle)
		r.sweeper, err = sweep.NewSweeper(r.src, sweep.SweeperConfig{
			Plan: d.plan, Hops: shares[i], Order: sched.Order, Settle: d.cfg.Detect.Settle, Dwell: d.cfg.Detect.Dwell,
			FalseAlarmsPerDay: d.cfg.Detect.FalseAlarmsPerDay,
		})
		d.log.Info("sweep schedule", "source", r.cfg.Name, "hops", len(shares[i]), "visits_per_pass", len(sched.Order),
			"pass", sched.Pass(), "max_revisit", sched.MaxRevisit(), "integrating", fmt.Sprintf("%.0f%%", 100*sched.Integrating()))
		if err != nil {
			return err
		}
		if r.cfg.Kind == config.KindRTLTCP {
			// rtl_tcp streams whole 256 KiB USB buffers and says nothing
			// of when a tune took effect: after each retune the sweeper
			// waits for the next buffer (docs/performance.md).
			buf := time.Duration(float64(256<<10/2) / r.src.Info().SampleRate * float64(time.Second))
			d.log.Warn("rtl_tcp delivers whole USB buffers: every hop waits for the next one, so a pass takes longer than scheduled",
				"source", r.cfg.Name, "buffer", buf.Round(time.Millisecond),
				"pass_at_least", (time.Duration(len(sched.Order)) * max(buf, sched.Step())).Round(time.Millisecond))
		}
	}
	return nil
}

func (d *daemon) closeSources() {
	for _, r := range d.rx {
		if r.src != nil {
			r.src.Close()
		}
	}
}

// run serves HTTP and sweeps until ctx ends, then drains the alerts.
func (d *daemon) run(ctx context.Context) error {
	defer d.closeSources()
	ln, err := net.Listen("tcp", d.cfg.Web.ListenAddress)
	if err != nil {
		return fmt.Errorf("web.listen_address: %w", err)
	}
	hs := &http.Server{Handler: d.srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(d.log.Handler(), slog.LevelError)}
	go func() {
		if err := serveHTTP(hs, ln, d.cfg.Web.ConfigFile, d.log); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("http server", "err", err)
		}
	}()
	d.start = time.Now()
	d.warmEnd = d.start.Add(d.cfg.Detect.Warmup)
	d.log.Info("cellwatch started", "version", version, "listen", ln.Addr().String(), "plan", d.cfg.Plan,
		"sources", len(d.rx), "site", d.cfg.Sensor.Site, "sensor", d.cfg.Sensor.ID, "zone", d.cfg.Sensor.Zone)

	actx, acancel := context.WithCancel(context.Background())
	defer acancel()
	if d.dispatch != nil {
		d.dispatch.Start(actx)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	// A failed receiver stops the others too: the daemon exits non-zero and
	// its supervisor restarts it.
	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()
	var wg sync.WaitGroup
	errc := make(chan error, len(d.rx))
	for _, r := range d.rx {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.runReceiver(rctx, r); err != nil {
				errc <- err
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var runErr error
loop:
	for {
		select {
		case <-done:
			break loop
		case err := <-errc:
			runErr = err
			break loop
		case <-hup:
			_ = d.reload("SIGHUP") // logged
		case now := <-tick.C:
			d.feedWatchdog(now)
			d.alertTick(now)
			for _, r := range d.rx {
				d.pollHealth(r)
			}
		}
	}
	// Sweepers finish their current hop and return.
	d.notify.stopping()
	rcancel()
	<-done
	d.alertEvents(func() []alert.Event { return d.engine.Tick(time.Now()) })
	if d.dispatch != nil {
		dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := d.dispatch.Close(dctx); err != nil && !errors.Is(err, alert.ErrClosed) {
			d.log.Warn("alerts not all delivered before shutdown", "err", err)
		}
		dcancel()
	}
	d.closeAlerts()
	sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = hs.Shutdown(sctx)
	scancel()
	d.log.Info("cellwatch stopped")
	return runErr
}

// runReceiver drives one receiver: a sweep for tunable sources, a stream
// for recordings (which then idles until the daemon stops).
func (d *daemon) runReceiver(ctx context.Context, r *receiver) error {
	name := r.cfg.Name
	for _, c := range []*prometheus.CounterVec{d.m.SamplesTotal, d.m.DroppedTotal, d.m.ReconnectsTotal, d.m.RetunesTotal} {
		c.WithLabelValues(name).Add(0) // every receiver's series exists from the start
	}
	d.m.SDRUp.WithLabelValues(name).Set(1)
	defer d.m.SDRUp.WithLabelValues(name).Set(0)
	r.setAnchor(0, time.Now())
	emit := func(e detect.Emission) { d.emission(r, e) }
	if r.stream {
		var last int64
		fs := r.src.Info().SampleRate
		err := sweep.Stream(ctx, r.src, sweep.StreamConfig{Plan: d.plan, FalseAlarmsPerDay: d.cfg.Detect.FalseAlarmsPerDay}, emit,
			func(n int64) {
				r.setAnchor(float64(n)/fs, time.Now())
				d.m.SamplesTotal.WithLabelValues(name).Add(float64(n - last))
				last = n
				d.markReady()
			})
		if err != nil {
			return err
		}
		d.log.Info("recording finished", "source", name)
		<-ctx.Done()
		return nil
	}
	obs := &sweepObserver{d: d, r: r, emit: emit}
	var failures []time.Time
	for {
		err := r.sweeper.Run(ctx, obs)
		if err == nil || ctx.Err() != nil {
			return nil
		}
		// The receiver failed (stalled, disconnected, unplugged). Close it
		// first (rtl_tcp serves one client at a time; a dongle is held by
		// its handle), then reopen it with back-off, keeping what the
		// sweeper learned. More than maxFailures failures within
		// failureWindow, or a receiver that cannot be reopened for
		// failureWindow, end the daemon with exitReceiverLost so that its
		// supervisor (systemd) restarts it.
		now := time.Now()
		failures = append(failures, now)
		for len(failures) > 0 && now.Sub(failures[0]) > failureWindow {
			failures = failures[1:]
		}
		if len(failures) > maxFailures {
			return &receiverLostError{name: name, err: err, why: fmt.Sprintf("%d failures within %v", len(failures), failureWindow)}
		}
		d.setFailed(r, true, nil)
		r.src.Close()
		d.log.Warn("receiver failed; reopening", "source", name, "err", err)
		backoff := 250 * time.Millisecond
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			src, oerr := openSource(ctx, r.index, r.cfg)
			if oerr == nil {
				if oerr = r.sweeper.SetSource(src); oerr == nil {
					d.setFailed(r, false, src)
					break
				}
				src.Close()
			}
			if ctx.Err() != nil {
				return nil
			}
			if time.Since(now) > failureWindow {
				return &receiverLostError{name: name, err: oerr, why: fmt.Sprintf("not reopened for %v", failureWindow)}
			}
			d.log.Warn("receiver not reopened yet", "source", name, "err", oerr, "retry_in", backoff)
		}
		d.m.ReconnectsTotal.WithLabelValues(name).Inc()
		d.log.Info("receiver reopened", "source", name, "after", time.Since(now).Round(time.Millisecond))
	}
}

// A receiver that fails more than maxFailures times within failureWindow,
// or cannot be reopened for failureWindow, is given up. (A variable so that
// tests need not wait a minute.)
const maxFailures = 5

var failureWindow = time.Minute

// receiverLostError ends the daemon with exitReceiverLost.
type receiverLostError struct {
	name, why string
	err       error
}

func (e *receiverLostError) Error() string {
	return fmt.Sprintf("receiver %s lost (%s): %v", e.name, e.why, e.err)
}

func (e *receiverLostError) Unwrap() error { return e.err }

// sweepObserver turns a sweeper's reports into metrics and emissions.
type sweepObserver struct {
	d    *daemon
	r    *receiver
	emit func(detect.Emission)
}

func (o *sweepObserver) Hop(h *sweep.HopReport) {
	name := o.r.cfg.Name
	m := o.d.m
	m.SamplesTotal.WithLabelValues(name).Add(float64(h.Samples))
	if o.r.cfg.Kind == config.KindRTLSDR || o.r.cfg.Kind == config.KindRTLTCP {
		// Live receivers only: a simulator or a recording has no rate to miss.
		m.DroppedTotal.WithLabelValues(name).Add(float64(h.Deficit))
	}
	o.d.pollHealth(o.r)
	if h.Hop.CenterHz != o.r.lastFreq {
		m.RetunesTotal.WithLabelValues(name).Inc()
		o.r.lastFreq = h.Hop.CenterHz
	}
	m.ClippedRatio.WithLabelValues(name).Set(h.Clipped)
	o.d.tamperHop(o.r, h)
	if o.d.referenceHop(h.Hop.Index) {
		o.r.setAnchor(h.Start, h.Wall)
		return // a tamper reference look (downlink): not part of the bands' picture
	}
	o.d.publishHop(o.r, h)
	o.r.setAnchor(h.Start, h.Wall)
	o.d.mu.Lock()
	defer o.d.mu.Unlock()
	for _, mp := range []*map[string]map[int]float64{&o.d.hopFloors, &o.d.hopPeaks, &o.d.hopOcc} {
		if (*mp)[name] == nil {
			(*mp)[name] = map[int]float64{}
		}
	}
	o.d.hopFloors[name][h.Hop.Index] = o.r.dBm(h.FloorDBFS)
	o.d.hopPeaks[name][h.Hop.Index] = o.r.dBm(h.PeakDBFS)
	o.d.hopOcc[name][h.Hop.Index] = h.Occupancy
}

func (o *sweepObserver) Sweep(s sweep.SweepReport) {
	o.d.m.SweepDuration.WithLabelValues(o.r.cfg.Name).Observe(s.Duration.Seconds())
	o.d.updateBandGauges()
	o.d.tamperSweep(o.r)
	o.d.markReady()
}

func (o *sweepObserver) Emission(e detect.Emission) { o.emit(e) }

// dBm converts a level in dB full scale to dBm at the antenna port when the
// receiver is calibrated; otherwise it stays dBFS.
func (r *receiver) dBm(dbfs float64) float64 {
	if math.IsNaN(r.fullDBm) {
		return dbfs
	}
	return dbfs + r.fullDBm
}

// updateBandGauges publishes, per band, the median hop floor, the highest
// peak and the mean occupancy of the last visits.
func (d *daemon) updateBandGauges() {
	d.mu.Lock()
	defer d.mu.Unlock()
	floors := map[string][]float64{}
	peaks := map[string]float64{}
	occ := map[string][]float64{}
	for name, hops := range d.hopFloors {
		for i, f := range hops {
			b := d.hopBands[i]
			floors[b] = append(floors[b], f)
			if p, ok := d.hopPeaks[name][i]; ok {
				if cur, seen := peaks[b]; !seen || p > cur {
					peaks[b] = p
				}
			}
			occ[b] = append(occ[b], d.hopOcc[name][i])
		}
	}
	for b, fs := range floors {
		sort.Float64s(fs)
		d.m.NoiseFloor.WithLabelValues(b).Set(fs[len(fs)/2])
		d.m.PeakPower.WithLabelValues(b).Set(peaks[b])
		var s float64
		for _, v := range occ[b] {
			s += v
		}
		d.m.Occupancy.WithLabelValues(b).Set(s / float64(len(occ[b])))
	}
}

// emission prints a detection, counts it, and feeds the alert engine.
func (d *daemon) emission(r *receiver, e detect.Emission) {
	if e.Tech == detect.Clutter {
		return
	}
	zone := d.cfg.Sensor.Zone
	band := e.Band
	if band == "" {
		band = "none"
	}
	d.m.DetectionsTotal.WithLabelValues(zone, band, string(e.Tech)).Inc()
	d.m.BurstsTotal.WithLabelValues(zone, band, string(e.Tech)).Add(float64(e.Bursts))
	first, last := r.wall(e.Start), r.wall(e.End)
	power := fmt.Sprintf("%.1f dBFS", e.PowerDBFS)
	if !math.IsNaN(r.fullDBm) {
		e.PowerDBm, e.HasDBm = e.PowerDBFS+r.fullDBm, true
		power = fmt.Sprintf("%.1f dBm", e.PowerDBm)
	}
	d.println(fmt.Sprintf("%s DETECT zone=%s source=%s band=%s tech=%s freq=%.3fMHz bw=%.0fkHz bursts=%d dur=%.1fms snr=%.1fdB power=%s",
		first.UTC().Format("2006-01-02T15:04:05.000Z"), zone, r.cfg.Name, band, e.Tech, e.FreqHz/1e6, e.BandwidthHz/1e3,
		e.Bursts, (e.End-e.Start)*1e3, e.SNRdB, strings.ReplaceAll(power, " ", "")))
	d.publishEmission(r, e, first, last)
	now := time.Now()
	if now.Before(d.warmEnd) {
		return // the floor is still being learned: no alert yet
	}
	d.alertEvidence(e, first, last)
}

// alertEvents runs one step of the alert engine (next), prints and enqueues
// the events it makes and refreshes the gauge. Receivers and the ticker
// call it concurrently: one step at a time keeps the engine's order, the
// delivery order and the gauge consistent.
func (d *daemon) alertEvents(next func() []alert.Event) {
	d.alertMu.Lock()
	defer d.alertMu.Unlock()
	evs := next()
	d.raise(evs)
	if len(evs) > 0 {
		for k, n := range d.engine.Firing() {
			d.m.AlertsFiring.WithLabelValues(k.Zone, string(k.Severity)).Set(float64(n))
		}
	}
}

func (d *daemon) println(s string) {
	d.outMu.Lock()
	defer d.outMu.Unlock()
	fmt.Fprintln(d.out, s)
}

// deliveryObserver feeds the dispatcher's delivery results into metrics.
type deliveryObserver metrics.Metrics

func (o *deliveryObserver) Delivered(sink string, latency time.Duration) {
	o.Notifications.WithLabelValues(sink, "success").Inc()
	o.DeliveryLatency.WithLabelValues(sink).Observe(latency.Seconds())
}

func (o *deliveryObserver) Failed(sink string, permanent bool) {
	result := "retry"
	if permanent {
		result = "failed"
	}
	o.Notifications.WithLabelValues(sink, result).Inc()
}

func (o *deliveryObserver) Dropped(sink string) {
	o.Notifications.WithLabelValues(sink, "dropped").Inc()
}

func (o *deliveryObserver) Pending(sink string, n int) {
	o.OutboxPending.WithLabelValues(sink).Set(float64(n))
}
