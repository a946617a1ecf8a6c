package rtltcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellwatch/cellwatch/pkg/iq"
	"github.com/cellwatch/cellwatch/pkg/source"
)

// Tuning range the client accepts (R820T; see peers-and-style.md: the PLL
// does not lock above about 1768 MHz).
const (
	MinFreq = 24e6
	MaxFreq = 1766e6
)

// Defaults for zero Config fields.
const (
	DefaultSampleRate  = 2.4e6
	DefaultDialTimeout = 5 * time.Second
	DefaultReadTimeout = 2 * time.Second
	DefaultBackoffMin  = 100 * time.Millisecond
	DefaultBackoffMax  = 5 * time.Second
)

// drainPoll is how long a retune drain waits for more bytes before it
// decides that nothing more is readable "now".
const drainPoll = time.Millisecond

// ErrClosed is returned by calls on a closed Client.
var ErrClosed = errors.New("rtl_tcp: client closed")

// Backoff bounds the wait between reconnection attempts: the first attempt
// after a drop is immediate, then Min, doubling up to Max.
type Backoff struct {
	Min, Max time.Duration
}

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	Name       string  // Source name; default "rtl_tcp:" + Address
	Address    string  // host:port of the rtl_tcp server
	SampleRate float64 // complex samples per second; default 2.4e6
	// CenterFreq, when non-zero, is sent on connect, before any Tune; zero
	// leaves the server's frequency until the first Tune (Info reports 0).
	CenterFreq float64
	// GainDB is the tuner gain; 0 selects the tuner's auto gain. Other values
	// are snapped to the nearest R820T table entry (SnapGain).
	GainDB float64
	// PPM is the frequency correction; sent only when non-zero, so that a
	// server started with -P keeps its own correction.
	PPM     int
	BiasTee bool
	// DialTimeout bounds one connection attempt: TCP connect plus header.
	DialTimeout time.Duration // default 5 s
	// ReadTimeout: a connection that delivers no byte for this long is
	// considered stalled, closed and reopened.
	ReadTimeout time.Duration // default 2 s
	Backoff     Backoff       // default 100 ms … 5 s
	// RetuneDiscard: after a Tune, bytes that arrive within this time of the
	// command being sent are thrown away, on top of what was already
	// buffered (see the package comment). 0: only the buffered bytes.
	RetuneDiscard time.Duration
	// RetuneDrainMax caps the buffered bytes a Tune drains without
	// waiting; default one second of samples.
	RetuneDrainMax int
	// FixedTune refuses a Tune to another frequency once one is set (by
	// CenterFreq or the first Tune): for an rtl_tcp dedicated to one channel.
	FixedTune bool
	Logger    *slog.Logger
}

// Stats are the client's counters, cumulative since Dial.
type Stats struct {
	Up         bool   // a connection is open
	Reconnects uint64 // successful connections after the first
	Retunes    uint64 // Tune calls that changed the frequency
	BytesRead  uint64 // bytes returned by Read
	// ShortReads counts Reads that returned less than asked: the connection
	// broke in the middle (a discontinuity) or the context ended.
	ShortReads uint64
	// Dropped estimates the samples lost across reconnects: the wall time
	// from the last byte of the old connection to the first byte of the new
	// one × the sample rate. Meaningful only for a real-time server.
	Dropped uint64
	// Discarded counts bytes received and thrown away after retunes.
	Discarded uint64
	// LastRetuneDiscard is the bytes thrown away after the latest retune.
	LastRetuneDiscard uint64
}

// Client is a source.Source reading a remote dongle from an rtl_tcp server.
//
// Read, Tune and Info are for one goroutine (the sweeper); Stats, Health,
// Header and Close may be called from any. Read reconnects transparently:
// it returns an error only when its context ends or the client is closed.
type Client struct {
	cfg  Config
	log  *slog.Logger
	gain float64 // snapped; 0 = auto

	mu     sync.Mutex
	conn   net.Conn // nil while down
	closed bool
	freq   float64
	hdr    Header
	done   chan struct{}

	// Read side (one goroutine).
	carry     byte // a received I byte waiting for its Q byte
	haveCarry bool
	skip      bool   // drop the next received byte (realign after an odd discard)
	connBytes uint64 // bytes consumed from the current connection
	lastData  time.Time
	gapFrom   time.Time // last byte of a lost connection, until the next one delivers
	backoff   time.Duration
	installed time.Time // when the current connection was set up
	connected bool      // ever connected
	scratch   []byte

	up                                                  atomic.Bool
	reconnects, retunes, bytesRead, shortReads, dropped atomic.Uint64
	discarded, lastDiscard                              atomic.Uint64
}

var (
	_ source.Source = (*Client)(nil)
	_ source.Health = (*Client)(nil)
)

// Dial connects to cfg.Address, checks the header and sends the settings.
// The first connection is not retried: an unreachable or wrong server is a
// configuration error. Later drops are repaired by Read.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Address == "" {
		return nil, errors.New("rtl_tcp: no address")
	}
	if cfg.Name == "" {
		cfg.Name = "rtl_tcp:" + cfg.Address
	}
	if cfg.SampleRate == 0 {
		cfg.SampleRate = DefaultSampleRate
	}
	if !source.RTLRateValid(cfg.SampleRate) || cfg.SampleRate != math.Trunc(cfg.SampleRate) {
		return nil, fmt.Errorf("rtl_tcp %s: sample rate %g S/s: the RTL2832U takes whole rates in 225001–300000 or 900001–3200000", cfg.Address, cfg.SampleRate)
	}
	if cfg.GainDB < 0 || math.IsNaN(cfg.GainDB) {
		return nil, fmt.Errorf("rtl_tcp %s: gain %g dB: want 0 (auto) or a positive tuner gain", cfg.Address, cfg.GainDB)
	}
	if cfg.CenterFreq != 0 && (cfg.CenterFreq < MinFreq || cfg.CenterFreq > MaxFreq) {
		return nil, fmt.Errorf("rtl_tcp %s: centre frequency %.0f Hz outside %.0f–%.0f Hz", cfg.Address, cfg.CenterFreq, MinFreq, MaxFreq)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.Backoff.Min <= 0 {
		cfg.Backoff.Min = DefaultBackoffMin
	}
	if cfg.Backoff.Max < cfg.Backoff.Min {
		cfg.Backoff.Max = max(DefaultBackoffMax, cfg.Backoff.Min)
	}
	if cfg.RetuneDrainMax <= 0 {
		cfg.RetuneDrainMax = int(2 * cfg.SampleRate)
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		cfg:     cfg,
		log:     lg.With("source", cfg.Name, "addr", cfg.Address),
		freq:    cfg.CenterFreq,
		done:    make(chan struct{}),
		scratch: make([]byte, 64<<10),
	}
	if cfg.GainDB != 0 {
		c.gain = SnapGain(cfg.GainDB)
	}
	conn, hdr, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.install(conn, hdr)
	c.log.Info("rtl_tcp connected", "tuner", TunerName(hdr.Tuner), "gains", hdr.GainCount, "gain_db", c.gain)
	return c, nil
}

// Name returns the source's name.
func (c *Client) Name() string { return c.cfg.Name }

// Info describes the remote dongle: cu8 at the configured rate, tunable
// 24–1766 MHz (not tunable once FixedTune has a frequency).
func (c *Client) Info() source.Info {
	c.mu.Lock()
	freq := c.freq
	c.mu.Unlock()
	in := source.Info{Format: iq.CU8, SampleRate: c.cfg.SampleRate, CenterFreq: freq, Tunable: true, MinFreq: MinFreq, MaxFreq: MaxFreq}
	if c.cfg.FixedTune && freq != 0 {
		in.Tunable, in.MinFreq, in.MaxFreq = false, 0, 0
	}
	return in
}

// Header returns what the server said about its dongle on the latest connect.
func (c *Client) Header() Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hdr
}

// GainDB is the tuner gain the client sends (snapped), 0 for auto.
func (c *Client) GainDB() float64 { return c.gain }

// Stats returns the counters.
func (c *Client) Stats() Stats {
	return Stats{
		Up: c.up.Load(), Reconnects: c.reconnects.Load(), Retunes: c.retunes.Load(),
		BytesRead: c.bytesRead.Load(), ShortReads: c.shortReads.Load(), Dropped: c.dropped.Load(),
		Discarded: c.discarded.Load(), LastRetuneDiscard: c.lastDiscard.Load(),
	}
}

// Health implements source.Health.
func (c *Client) Health() source.HealthStats {
	return source.HealthStats{Reconnects: c.reconnects.Load(), Dropped: c.dropped.Load(), Down: !c.up.Load()}
}

// Close closes the connection and makes a blocked Read or reconnection
// return ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	close(c.done)
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
	c.up.Store(false)
	return nil
}

// settings are the commands sent on every connect, in order.
func (c *Client) settings(freq float64) []Command {
	cmds := []Command{{CmdSetSampleRate, uint32(c.cfg.SampleRate)}}
	if c.gain == 0 {
		cmds = append(cmds, Command{CmdSetGainMode, 0})
	} else {
		cmds = append(cmds, Command{CmdSetGainMode, 1}, Command{CmdSetGain, tenths(c.gain)})
	}
	if c.cfg.PPM != 0 {
		cmds = append(cmds, Command{CmdSetFreqCorr, uint32(int32(c.cfg.PPM))})
	}
	bias := uint32(0)
	if c.cfg.BiasTee {
		bias = 1
	}
	// RTL AGC off, direct sampling off (a server left in direct mode would
	// serve HF), bias tee as configured.
	cmds = append(cmds, Command{CmdSetAGCMode, 0}, Command{CmdSetDirect, 0}, Command{CmdSetBiasTee, bias})
	if freq != 0 {
		cmds = append(cmds, Command{CmdSetFreq, uint32(math.Round(freq))})
	}
	return cmds
}

func encode(cmds ...Command) []byte {
	b := make([]byte, 0, CommandLen*len(cmds))
	for _, c := range cmds {
		w := c.Encode()
		b = append(b, w[:]...)
	}
	return b
}

// connect opens one connection: dial, header, settings (including the
// current frequency), all within DialTimeout.
func (c *Client) connect(ctx context.Context) (net.Conn, Header, error) {
	addr := c.cfg.Address
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, Header{}, ctx.Err()
		}
		return nil, Header{}, fmt.Errorf("rtl_tcp %s: %w", addr, err)
	}
	conn.SetDeadline(time.Now().Add(c.cfg.DialTimeout))
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	hdr, err := c.handshake(conn)
	if !stop() || ctx.Err() != nil {
		conn.Close()
		return nil, Header{}, ctx.Err()
	}
	if err != nil {
		conn.Close()
		return nil, Header{}, err
	}
	conn.SetDeadline(time.Time{})
	return conn, hdr, nil
}

func (c *Client) handshake(conn net.Conn) (Header, error) {
	addr := c.cfg.Address
	var b [HeaderLen]byte
	n, err := io.ReadFull(conn, b[:])
	if err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return Header{}, fmt.Errorf("rtl_tcp %s: connection closed before the header (server busy or not rtl_tcp?)", addr)
		}
		return Header{}, fmt.Errorf("rtl_tcp %s: truncated header: %d of %d bytes: %w", addr, n, HeaderLen, err)
	}
	if string(b[:4]) != Magic {
		return Header{}, fmt.Errorf("rtl_tcp %s: bad header magic %q (want %q)", addr, b[:4], Magic)
	}
	h := Header{Tuner: be32(b[4:]), GainCount: be32(b[8:])}
	c.mu.Lock()
	freq := c.freq
	c.mu.Unlock()
	if _, err := conn.Write(encode(c.settings(freq)...)); err != nil {
		return Header{}, fmt.Errorf("rtl_tcp %s: sending settings: %w", addr, err)
	}
	return h, nil
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// install makes conn the current connection.
func (c *Client) install(conn net.Conn, hdr Header) {
	c.mu.Lock()
	c.conn, c.hdr = conn, hdr
	c.mu.Unlock()
	c.haveCarry, c.skip, c.connBytes = false, false, 0
	c.lastData = time.Now()
	c.up.Store(true)
	if c.connected {
		c.reconnects.Add(1)
	}
	c.connected = true
	c.installed = time.Now()
}

// lost closes a broken connection; the next Read reconnects.
func (c *Client) lost(conn net.Conn, why error) {
	c.mu.Lock()
	if c.conn == conn {
		c.conn = nil
	}
	closed := c.closed
	c.mu.Unlock()
	conn.Close()
	c.up.Store(false)
	c.haveCarry, c.skip = false, false
	if c.gapFrom.IsZero() {
		c.gapFrom = c.lastData
	}
	if !closed {
		c.log.Warn("rtl_tcp connection lost", "err", why)
	}
}

func (c *Client) current() (net.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	return c.conn, nil
}

// reconnect retries with backoff until a connection is up, ctx ends or the
// client is closed.
func (c *Client) reconnect(ctx context.Context) error {
	for {
		if c.backoff > 0 {
			t := time.NewTimer(c.backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-c.done:
				t.Stop()
				return ErrClosed
			case <-t.C:
			}
		}
		conn, hdr, err := c.connect(ctx)
		if err == nil {
			c.mu.Lock()
			closed := c.closed
			c.mu.Unlock()
			if closed {
				conn.Close()
				return ErrClosed
			}
			c.install(conn, hdr)
			c.log.Info("rtl_tcp reconnected", "reconnects", c.reconnects.Load())
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, cerr := c.current(); cerr != nil {
			return cerr
		}
		c.backoff = min(max(2*c.backoff, c.cfg.Backoff.Min), c.cfg.Backoff.Max)
		c.log.Warn("rtl_tcp reconnect failed", "err", err, "retry_in", c.backoff)
	}
}

// readConn reads once from conn with the stall deadline, ending early when
// ctx ends. A deadline that fires before ReadTimeout has elapsed (a late
// ctx callback from an earlier call) is retried, not taken for a stall.
func (c *Client) readConn(ctx context.Context, conn net.Conn, p []byte, deadline time.Time) (int, error) {
	for {
		conn.SetReadDeadline(deadline)
		stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
		n, err := conn.Read(p)
		stop()
		if err != nil && ctx.Err() != nil {
			return n, ctx.Err()
		}
		var ne net.Error
		if n == 0 && err != nil && errors.As(err, &ne) && ne.Timeout() && time.Now().Before(deadline) {
			continue
		}
		return n, err
	}
}

// arrived notes that bytes came in: a reconnection gap ends here.
func (c *Client) arrived() {
	now := time.Now()
	c.lastData = now
	// The back-off resets once a connection has carried data for a second:
	// a server that sends its header and hangs up is retried ever slower.
	if c.backoff > 0 && now.Sub(c.installed) >= time.Second {
		c.backoff = 0
	}
	if !c.gapFrom.IsZero() {
		c.dropped.Add(uint64(math.Round(now.Sub(c.gapFrom).Seconds() * c.cfg.SampleRate)))
		c.gapFrom = time.Time{}
	}
}

// received accounts for n bytes that just arrived at p[:n] and drops a
// realignment byte; it returns the bytes left at p.
func (c *Client) received(p []byte, n int) int {
	c.arrived()
	c.connBytes += uint64(n)
	if c.skip && n > 0 {
		c.skip = false
		c.discarded.Add(1)
		copy(p, p[1:n])
		n--
	}
	return n
}

// Read fills p with whole cu8 samples (len(p) rounded down to even). It
// blocks until p is full, reconnecting as needed; it returns less only when
// the connection broke part-way (the next Read continues on a new
// connection: a discontinuity, counted in ShortReads and Dropped) or when
// ctx ends or the client is closed (with that error). An odd byte received
// is kept for the next call, never returned alone.
func (c *Client) Read(ctx context.Context, p []byte) (int, error) {
	want := len(p) &^ 1
	if want == 0 {
		return 0, nil
	}
	got := 0
	if c.haveCarry {
		p[0], got, c.haveCarry = c.carry, 1, false
	}
	for got < want {
		if err := ctx.Err(); err != nil {
			return c.finish(p, got, want, err), err
		}
		conn, err := c.current()
		if err != nil {
			return c.finish(p, got, want, err), err
		}
		if conn == nil {
			if got > 0 { // cannot happen: a drop ends the call
				return c.finish(p, got, want, nil), nil
			}
			if err := c.reconnect(ctx); err != nil {
				return 0, err
			}
			continue
		}
		n, err := c.readConn(ctx, conn, p[got:want], time.Now().Add(c.cfg.ReadTimeout))
		if n > 0 {
			got += c.received(p[got:], n)
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return c.finish(p, got, want, ctx.Err()), ctx.Err()
		}
		if _, cerr := c.current(); cerr != nil {
			return c.finish(p, got, want, cerr), cerr
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			err = fmt.Errorf("stalled: no data for %v", c.cfg.ReadTimeout)
		}
		c.lost(conn, err)
		if got > 0 {
			got &^= 1 // an I byte from the lost connection has no Q byte
			c.shortReads.Add(1)
			c.bytesRead.Add(uint64(got))
			return got, nil
		}
	}
	return c.finish(p, got, want, nil), nil
}

// finish keeps an odd trailing byte for the next call and counts.
func (c *Client) finish(p []byte, got, want int, err error) int {
	if got&1 == 1 {
		got--
		c.carry, c.haveCarry = p[got], true
	}
	if err != nil && got < want {
		c.shortReads.Add(1)
	}
	c.bytesRead.Add(uint64(got))
	return got
}

// Tune sets the centre frequency. Re-tuning to the current frequency does
// nothing. While disconnected the frequency is only recorded: it is sent on
// reconnect, before any sample is read. Otherwise the command is sent and
// stale bytes are thrown away as the package comment describes.
func (c *Client) Tune(ctx context.Context, freqHz float64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !(freqHz >= MinFreq && freqHz <= MaxFreq) {
		return fmt.Errorf("source %s: %.0f Hz outside %.0f–%.0f Hz", c.cfg.Name, freqHz, MinFreq, MaxFreq)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if c.freq == freqHz {
		c.mu.Unlock()
		return nil
	}
	if c.cfg.FixedTune && c.freq != 0 {
		f := c.freq
		c.mu.Unlock()
		return fmt.Errorf("source %s: fixed tune at %.0f Hz, refusing %.0f Hz: %w", c.cfg.Name, f, freqHz, source.ErrNotTunable)
	}
	c.freq = freqHz
	conn := c.conn
	c.mu.Unlock()
	c.retunes.Add(1)
	if conn == nil {
		return nil
	}
	cmd := Command{CmdSetFreq, uint32(math.Round(freqHz))}.Encode()
	conn.SetWriteDeadline(time.Now().Add(c.cfg.ReadTimeout))
	if _, err := conn.Write(cmd[:]); err != nil {
		c.lost(conn, fmt.Errorf("sending tune: %w", err))
		return nil
	}
	sent := time.Now()
	return c.discardStale(ctx, conn, sent)
}

// discardStale throws away what was buffered when the tune command left
// (drained without waiting, up to RetuneDrainMax), then whatever arrives
// until RetuneDiscard after it, and realigns to a sample boundary.
func (c *Client) discardStale(ctx context.Context, conn net.Conn, sent time.Time) error {
	var n uint64
	defer func() {
		c.discarded.Add(n)
		c.lastDiscard.Store(n)
	}()
	c.haveCarry = false // its byte is already counted in connBytes
	fail := func(err error) error {
		c.connBytes += n
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.lost(conn, fmt.Errorf("after tune: %w", err))
		return nil
	}
	isTimeout := func(err error) bool {
		var ne net.Error
		return errors.As(err, &ne) && ne.Timeout()
	}
	for n < uint64(c.cfg.RetuneDrainMax) {
		m, err := c.readConn(ctx, conn, c.scratch[:min(len(c.scratch), c.cfg.RetuneDrainMax-int(n))], time.Now().Add(drainPoll))
		n += uint64(m)
		if err != nil {
			if isTimeout(err) && ctx.Err() == nil {
				break
			}
			return fail(err)
		}
	}
	if until := sent.Add(c.cfg.RetuneDiscard); c.cfg.RetuneDiscard > 0 {
		for time.Now().Before(until) {
			m, err := c.readConn(ctx, conn, c.scratch, until)
			n += uint64(m)
			if err != nil {
				if isTimeout(err) && ctx.Err() == nil {
					break
				}
				return fail(err)
			}
		}
	}
	if n > 0 {
		c.arrived()
	}
	c.connBytes += n
	c.skip = c.connBytes&1 == 1
	return nil
}
