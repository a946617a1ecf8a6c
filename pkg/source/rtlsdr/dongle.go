package rtlsdr

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellwatch/cellwatch/pkg/iq"
	"github.com/cellwatch/cellwatch/pkg/source"
)

// Tuning range the Dongle accepts (R820T; the PLL does not lock much above
// 1766 MHz, so the top of the DCS1800 uplink cannot be reached).
const (
	MinFreqHz = 24e6
	MaxFreqHz = 1766e6
)

// DefaultSampleRate is used when Config.SampleRate is 0.
const DefaultSampleRate = 2.4e6

const (
	// usbPacket: read_sync lengths are multiples of the bulk packet size;
	// a shorter request can overflow (LIBUSB_ERROR_OVERFLOW).
	usbPacket = 512
	// maxRead caps one read_sync (rtl_sdr's default block, 256 KiB, about
	// 55 ms at 2.4 MS/s), so a cancelled Read never strands more.
	maxRead = 16 * 32 * 512
)

// closeWait is how long Close waits for a read_sync still in flight.
var closeWait = time.Second

// Config opens one dongle.
type Config struct {
	Name   string // source name; "" = "rtlsdr:<serial>"
	Serial string // EEPROM serial; "" = the only dongle present
	// SampleRate in Hz (complex samples/s); 0 = DefaultSampleRate. librtlsdr
	// accepts 225001–300000 and 900001–3200000 Hz; the exact rate it
	// programs is read back and reported by Info.
	SampleRate float64
	// GainDB is the tuner gain: 0 = tuner AGC, otherwise manual, snapped to
	// the nearest entry of the tuner's gain table and read back (Gain).
	GainDB  float64
	PPM     int  // crystal correction, parts per million
	BiasTee bool // 4.5 V on the antenna port (RTL-SDR Blog V3/V4 and similar)
	// Settle is how long the tuner needs after a retune. The Dongle does not
	// discard anything itself: the caller drops Settle's worth of samples
	// after each Tune (see Dongle.Settle).
	Settle time.Duration
}

// Stats are the Dongle's counters since Open.
type Stats struct {
	Retunes        uint64 // successful Tune calls
	RetuneFailures uint64 // Tune calls librtlsdr refused
	ShortReads     uint64 // read_sync calls that returned fewer bytes than asked
	Dropped        uint64 // complex samples missing from those short reads
	SamplesRead    uint64 // complex samples returned by Read
}

type readResult struct{ n, rc int }

// Dongle is a source.Source reading one RTL-SDR through librtlsdr.
//
// Calls are serialised. Read honours its context even though read_sync has
// no timeout: the USB read runs in a goroutine into the Dongle's own
// buffer; when the context ends first, Read returns ctx.Err() and the
// next Read delivers that read's samples (Tune discards them). A dongle
// that hangs mid-transfer therefore shows up as Read timing out (the
// sweeper's stall detection), not as a hung goroutine in the caller.
type Dongle struct {
	dev    device
	cfg    Config
	name   string
	info   DeviceInfo
	tuner  int
	rate   float64
	gains  []int
	gain   int // tenths of a dB, read back; meaningful when manual
	manual bool

	done      chan struct{} // closed by Close: wakes a waiting Read or Tune
	closeOnce sync.Once

	mu       sync.Mutex
	closed   bool
	inflight chan readResult // read_sync in progress; it owns buf
	req      int             // its length
	buf      []byte          // read_sync target (Go memory, see ReadSync)
	pending  []byte          // read from the device, not yet returned
	// results is every read_sync's reply channel: one read is in flight at
	// most, and its result is always received (await) or abandoned with
	// the device (Close), so one buffered channel serves them all.
	results chan readResult

	center                                                    atomic.Uint64 // math.Float64bits of Hz
	retunes, retuneFailures, shortReads, dropped, samplesRead atomic.Uint64
}

var _ source.Source = (*Dongle)(nil)

// openWith opens the dongle cfg chooses through dev and applies cfg:
// direct sampling off (only if librtlsdr enabled it: switching it off
// re-initialises the tuner, so this comes first), sample rate, tuner gain
// (manual and snapped, or tuner AGC for 0), RTL2832 digital AGC off, ppm,
// bias tee, and a buffer reset.
func openWith(dev device, cfg Config) (*Dongle, error) {
	if cfg.SampleRate == 0 {
		cfg.SampleRate = DefaultSampleRate
	}
	if !source.RTLRateValid(math.Round(cfg.SampleRate)) {
		return nil, fmt.Errorf("rtlsdr: sample rate %.0f Hz is not one librtlsdr accepts (225001–300000 Hz or 900001–3200000 Hz)", cfg.SampleRate)
	}
	if cfg.GainDB < 0 || math.IsNaN(cfg.GainDB) {
		return nil, fmt.Errorf("rtlsdr: gain %g dB: want 0 (auto) or a positive manual gain", cfg.GainDB)
	}
	if cfg.Settle < 0 {
		return nil, fmt.Errorf("rtlsdr: negative settle time %v", cfg.Settle)
	}
	devs, lerr := list(dev)
	idx, err := ChooseDevice(devs, cfg.Serial)
	if err != nil {
		if lerr != nil {
			err = fmt.Errorf("%w (while listing: %v)", err, lerr)
		}
		return nil, err
	}
	d := &Dongle{dev: dev, cfg: cfg, done: make(chan struct{})}
	for _, di := range devs {
		if di.Index == idx {
			d.info = di
		}
	}
	d.name = cfg.Name
	if d.name == "" {
		d.name = "rtlsdr:" + d.info.Serial
	}
	if rc := dev.Open(idx); rc != 0 {
		return nil, fmt.Errorf("rtlsdr: open %s: %w", d.info, mapError("rtlsdr_open", rc))
	}
	if err := d.setup(); err != nil {
		dev.Close()
		return nil, fmt.Errorf("rtlsdr: %s: %w", d.name, err)
	}
	return d, nil
}

func (d *Dongle) setup() error {
	dev, cfg := d.dev, d.cfg
	d.tuner = dev.TunerType()
	if d.tuner == tunerUnknown {
		return errors.New("no supported tuner found (librtlsdr fell back to direct sampling); this dongle cannot receive 24–1766 MHz")
	}
	if dev.DirectSampling() != 0 {
		if err := mapError("rtlsdr_set_direct_sampling", dev.SetDirectSampling(0)); err != nil {
			return err
		}
	}
	if err := mapError("rtlsdr_set_sample_rate", dev.SetSampleRate(uint32(math.Round(cfg.SampleRate)))); err != nil {
		return err
	}
	d.rate = float64(dev.SampleRate())
	if d.rate == 0 {
		d.rate = math.Round(cfg.SampleRate)
	}
	gains, n := dev.TunerGains()
	if n < 0 {
		return mapError("rtlsdr_get_tuner_gains", n)
	}
	d.gains = gains
	if cfg.GainDB > 0 {
		if len(gains) == 0 {
			return fmt.Errorf("the %s tuner has no gain table; use gain 0 (auto)", TunerName(d.tuner))
		}
		if err := mapError("rtlsdr_set_tuner_gain_mode", dev.SetTunerGainMode(true)); err != nil {
			return err
		}
		want := SnapGain(gains, int(math.Round(cfg.GainDB*10)))
		if err := mapError("rtlsdr_set_tuner_gain", dev.SetTunerGain(want)); err != nil {
			return err
		}
		// librtlsdr returns what it stored; since we asked for a table
		// entry, that is the gain the tuner applies.
		d.gain, d.manual = dev.TunerGain(), true
	} else if err := mapError("rtlsdr_set_tuner_gain_mode", dev.SetTunerGainMode(false)); err != nil {
		return err
	}
	if err := mapError("rtlsdr_set_agc_mode", dev.SetAGCMode(false)); err != nil {
		return err
	}
	// Setting the value already set returns -2: compare first.
	if dev.FreqCorrection() != cfg.PPM {
		if err := mapError("rtlsdr_set_freq_correction", dev.SetFreqCorrection(cfg.PPM)); err != nil {
			return err
		}
	}
	// Always set explicitly: the GPIO keeps its state from a previous user.
	if err := mapError("rtlsdr_set_bias_tee", dev.SetBiasTee(cfg.BiasTee)); err != nil {
		return err
	}
	return mapError("rtlsdr_reset_buffer", dev.ResetBuffer())
}

// Name returns the source's name.
func (d *Dongle) Name() string { return d.name }

// Device describes the opened dongle (serial, USB strings, index at open).
func (d *Dongle) Device() DeviceInfo { return d.info }

// Tuner names the tuner chip ("R820T", …).
func (d *Dongle) Tuner() string { return TunerName(d.tuner) }

// Gain returns the tuner gain in dB as read back from librtlsdr, and
// whether it is manual; with the tuner AGC (manual false) it is 0.
func (d *Dongle) Gain() (db float64, manual bool) { return float64(d.gain) / 10, d.manual }

// GainTable is the tuner's gain table in tenths of a dB.
func (d *Dongle) GainTable() []int { return append([]int(nil), d.gains...) }

// Settle is the configured settling time after Tune; the caller discards
// that many samples' worth of Read output.
func (d *Dongle) Settle() time.Duration { return d.cfg.Settle }

// Info describes the stream: cu8 at the exact programmed rate, tunable
// 24–1766 MHz; CenterFreq is 0 until the first Tune.
func (d *Dongle) Info() source.Info {
	return source.Info{Format: iq.CU8, SampleRate: d.rate, CenterFreq: math.Float64frombits(d.center.Load()),
		Tunable: true, MinFreq: MinFreqHz, MaxFreq: MaxFreqHz}
}

// Stats returns the counters; safe to call concurrently with anything.
func (d *Dongle) Stats() Stats {
	return Stats{Retunes: d.retunes.Load(), RetuneFailures: d.retuneFailures.Load(),
		ShortReads: d.shortReads.Load(), Dropped: d.dropped.Load(), SamplesRead: d.samplesRead.Load()}
}

// Tune sets the centre frequency and flushes the device FIFO. Samples read
// before it are discarded. librtlsdr can report success while the R820T
// PLL has not locked (it only prints "[R82XX] PLL not locked!"), which the
// caller can only notice in the data.
func (d *Dongle) Tune(ctx context.Context, freqHz float64) error {
	if freqHz < MinFreqHz || freqHz > MaxFreqHz || math.IsNaN(freqHz) {
		return fmt.Errorf("rtlsdr %s: %.0f Hz outside %.0f–%.0f Hz", d.name, freqHz, MinFreqHz, MaxFreqHz)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.inflight != nil {
		if err := d.await(ctx); err != nil {
			return err
		}
	}
	d.pending = nil
	if err := mapError("rtlsdr_set_center_freq", d.dev.SetCenterFreq(uint32(math.Round(freqHz)))); err != nil {
		d.retuneFailures.Add(1)
		return err
	}
	d.center.Store(math.Float64bits(freqHz))
	if err := mapError("rtlsdr_reset_buffer", d.dev.ResetBuffer()); err != nil {
		return err
	}
	d.retunes.Add(1)
	return nil
}

// Read fills p with whole cu8 samples (an odd last byte of p is left
// alone). One call makes at most one read_sync of a multiple of 512 bytes
// (at most 256 KiB), so it may return less than len(p). A read_sync that
// returns less than asked is counted in Stats (ShortReads, Dropped) — the
// missing samples are gone, and the stream has a gap there.
func (d *Dongle) Read(ctx context.Context, p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	want := len(p) &^ 1
	if want == 0 {
		return 0, nil
	}
	if d.inflight == nil && len(d.pending) == 0 {
		d.start(readLen(want))
	}
	if d.inflight != nil {
		if err := d.await(ctx); err != nil {
			return 0, err
		}
	}
	n := copy(p[:want], d.pending)
	d.pending = d.pending[n:]
	d.samplesRead.Add(uint64(n / 2))
	return n, nil
}

// readLen is the read_sync length for a Read of want bytes.
func readLen(want int) int {
	if want < usbPacket {
		return usbPacket // the surplus stays pending for the next Read
	}
	return min(want&^(usbPacket-1), maxRead)
}

// start launches read_sync of n bytes into d.buf; d.mu held.
func (d *Dongle) start(n int) {
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	buf := d.buf[:n]
	if d.results == nil {
		d.results = make(chan readResult, 1)
	}
	ch := d.results
	dev := d.dev
	go func() {
		n, rc := dev.ReadSync(buf)
		ch <- readResult{n, rc}
	}()
	d.inflight, d.req, d.pending = ch, n, nil
}

// await waits for the read in flight and makes its samples pending; d.mu
// held. If ctx or Close comes first the read stays in flight.
func (d *Dongle) await(ctx context.Context) error {
	var r readResult
	select {
	case r = <-d.inflight:
	case <-ctx.Done():
		return ctx.Err()
	case <-d.done:
		return ErrClosed
	}
	d.inflight = nil
	if r.rc != 0 {
		return fmt.Errorf("rtlsdr %s: %w", d.name, mapError("rtlsdr_read_sync", r.rc))
	}
	n := max(0, min(r.n, d.req)) &^ 1 // whole samples only
	if n < d.req {
		d.shortReads.Add(1)
		d.dropped.Add(uint64((d.req - n) / 2))
	}
	d.pending = d.buf[:n]
	return nil
}

// Close switches the bias tee off (if it was on) and closes the device.
// A read_sync still in flight (its Read was cancelled) is given closeWait
// to finish, since closing under it would free memory libusb is using; if
// it does not finish, Close returns an error and the device is closed
// when the read returns — a dongle hung like this usually needs a
// replug, and the process a restart, before it can be opened again.
func (d *Dongle) Close() error {
	d.closeOnce.Do(func() { close(d.done) })
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	d.pending = nil
	if ch := d.inflight; ch != nil {
		d.inflight = nil
		select {
		case <-ch:
		case <-time.After(closeWait):
			go func() {
				<-ch
				d.shutdown()
			}()
			return fmt.Errorf("rtlsdr %s: a USB read is still pending after %v (read_sync has no timeout); the device will be closed when it returns", d.name, closeWait)
		}
	}
	return d.shutdown()
}

func (d *Dongle) shutdown() error {
	var errs []error
	if d.cfg.BiasTee {
		errs = append(errs, mapError("rtlsdr_set_bias_tee", d.dev.SetBiasTee(false)))
	}
	errs = append(errs, mapError("rtlsdr_close", d.dev.Close()))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("rtlsdr %s: close: %w", d.name, err)
	}
	return nil
}

// Health reports the dongle's losses for the daemon's metrics.
func (d *Dongle) Health() source.HealthStats {
	return source.HealthStats{Dropped: d.dropped.Load()}
}
