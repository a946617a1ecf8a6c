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

// Server defaults.
const (
	DefaultServerAddr  = "127.0.0.1:1234"
	DefaultServerQueue = time.Second
	DefaultChunk       = 16 << 10
	// DefaultBuffer is what osmocom rtl_tcp sends at a time: it calls
	// rtlsdr_read_async with buf_len 0, so librtlsdr fills USB transfers of
	// DEFAULT_BUF_LENGTH (16·32·512 bytes, 54.6 ms at 2.4 MS/s) and the
	// server send()s each whole one.
	DefaultBuffer = 256 << 10
)

// Faults make a Server misbehave, for tests. They apply to the first Times
// connections (every connection when Times is 0).
type Faults struct {
	// Header, when non-nil, is sent instead of the real header (a bad magic,
	// a truncated header); the connection is then closed.
	Header []byte
	// Stall stops sending after StallAfter stream bytes but keeps the
	// connection open until the client leaves.
	Stall      bool
	StallAfter int64
	// Close closes the connection after CloseAfter stream bytes.
	Close      bool
	CloseAfter int64
	Times      int
}

func (f Faults) any() bool { return f.Header != nil || f.Stall || f.Close }

// ServerConfig configures a Server.
type ServerConfig struct {
	Addr   string        // listen address; default 127.0.0.1:1234
	Source source.Source // cu8; tunable or not. The server does not close it.
	// TunerType and GainCount go in the header; defaults R820T (5) and 29.
	TunerType, GainCount uint32
	// Realtime decouples the source from the client like rtl_tcp: the
	// source is read continuously into a queue of at most Queue worth of
	// samples and, when the client is slower, the oldest data is dropped
	// (counted). Without it the client's pace drives the source, nothing is
	// lost (replay, tests).
	Realtime bool
	Queue    time.Duration // default 1 s
	Chunk    int           // bytes per source read; default 16 KiB; rounded to 8
	// Buffer is how many bytes a Realtime server captures before it sends
	// them, in one write, like rtl_tcp with librtlsdr's USB buffers; default
	// DefaultBuffer (256 KiB); rounded to 8. The source is still read Chunk
	// at a time, so a tune takes effect within the buffer being captured,
	// as on a dongle. Without Realtime each Chunk is sent as it is read.
	Buffer int
	Faults Faults
	Logger *slog.Logger
}

// ServerCommand is a command a Server received.
type ServerCommand struct {
	Command
	// At is the source's stream position (bytes read from it through this
	// server) when the command took effect: a Tune applies from that byte.
	At int64
}

// ServerStats are a Server's counters since NewServer.
type ServerStats struct {
	Clients        uint64 // connections accepted
	BytesRead      int64  // from the source
	BytesSent      int64  // to clients
	DroppedBytes   int64  // dropped from the queue (Realtime) because a client was slow
	QueuedBytes    int64  // in the queue now
	MaxQueuedBytes int64  // queue high-water mark
}

// Server is an rtl_tcp server in front of a Source, speaking osmocom
// rtl_tcp's protocol: one client at a time (others wait in the listen
// backlog), a 12-byte header, then raw cu8; commands are applied, never
// acknowledged, unknown ones logged and ignored.
type Server struct {
	cfg      ServerConfig
	log      *slog.Logger
	info     source.Info
	maxQueue int64

	mu     sync.Mutex
	ln     net.Listener
	conn   net.Conn
	closed bool
	cmds   []ServerCommand

	// srcMu serialises source Reads and Tunes. It is a channel because a
	// channel hands itself to the longest waiter: a command waiting while a
	// chunk is read applies before the next chunk, as on a dongle (a
	// sync.Mutex let the reader take it again and delayed tunes by a chunk).
	srcMu   chan struct{}
	srcRead int64 // guarded by srcMu

	clients                                   atomic.Uint64
	sent, dropped, queued, maxQueued, readCtr atomic.Int64
}

// NewServer checks cfg; the Source must deliver cu8.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Source == nil {
		return nil, errors.New("rtl_tcp server: no source")
	}
	info := cfg.Source.Info()
	if info.Format != iq.CU8 {
		return nil, fmt.Errorf("rtl_tcp server: source %s delivers %s; rtl_tcp carries cu8 only", cfg.Source.Name(), info.Format)
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultServerAddr
	}
	if cfg.TunerType == 0 {
		cfg.TunerType = TunerR820T
	}
	if cfg.GainCount == 0 {
		cfg.GainCount = uint32(len(source.R820TGains))
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultServerQueue
	}
	if cfg.Chunk <= 0 {
		cfg.Chunk = DefaultChunk
	}
	cfg.Chunk = max(8, cfg.Chunk&^7)
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultBuffer
	}
	cfg.Buffer = max(8, cfg.Buffer&^7)
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: lg.With("server", "rtl_tcp", "source", cfg.Source.Name()), info: info, srcMu: make(chan struct{}, 1)}
	s.maxQueue = max(int64(cfg.Buffer), int64(cfg.Queue.Seconds()*info.SampleRate)*2)
	return s, nil
}

// Listen opens the listening socket (ListenAndServe does it if needed).
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("rtl_tcp server: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		ln.Close()
		return net.ErrClosed
	}
	s.ln = ln
	return nil
}

// Addr is the listening address, nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// ListenAndServe listens (unless Listen was called) and serves clients one
// at a time until ctx ends (returning its error) or Close (returning nil).
func (s *Server) ListenAndServe(ctx context.Context) error {
	if s.Addr() == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if s.isClosed() {
				return nil
			}
			s.log.Warn("rtl_tcp accept", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		s.serve(ctx, conn)
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close stops listening and drops the current client. The source stays open.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.ln != nil {
		s.ln.Close()
	}
	if s.conn != nil {
		s.conn.Close()
	}
	return nil
}

// Commands returns the commands received so far, oldest first.
func (s *Server) Commands() []ServerCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ServerCommand(nil), s.cmds...)
}

// Stats returns the counters.
func (s *Server) Stats() ServerStats {
	return ServerStats{Clients: s.clients.Load(), BytesRead: s.readCtr.Load(), BytesSent: s.sent.Load(),
		DroppedBytes: s.dropped.Load(), QueuedBytes: s.queued.Load(), MaxQueuedBytes: s.maxQueued.Load()}
}

// serve handles one client until it leaves, the stream ends or Close.
func (s *Server) serve(ctx context.Context, conn net.Conn) {
	n := s.clients.Add(1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.conn = conn
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.conn = nil
		s.mu.Unlock()
	}()
	f := s.cfg.Faults
	if !f.any() || (f.Times > 0 && n > uint64(f.Times)) {
		f = Faults{}
	}
	lg := s.log.With("client", conn.RemoteAddr().String())
	lg.Info("rtl_tcp client connected")
	defer lg.Info("rtl_tcp client gone")

	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	cmdsDone := make(chan struct{})
	defer func() {
		cancel()
		if tc, ok := conn.(*net.TCPConn); ok && cmdsDone != nil && ctx.Err() == nil {
			// The stream ended here (source ended, a fault): send what is
			// written, then FIN, and let the client hang up. Closing with
			// client bytes unread would reset the connection and throw away
			// the tail of the stream still in flight.
			tc.CloseWrite()
			select {
			case <-cmdsDone:
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
		conn.Close()
		wg.Wait()
	}()
	if f.Header != nil {
		cmdsDone = nil
		conn.Write(f.Header)
		return
	}
	hdr := Header{Tuner: s.cfg.TunerType, GainCount: s.cfg.GainCount}.Encode()
	if _, err := conn.Write(hdr[:]); err != nil {
		cmdsDone = nil
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(cmdsDone)
		defer cancel() // the client left: stop streaming
		s.commands(cctx, conn, lg)
	}()
	w := &faultyWriter{conn: conn, f: f, ctx: cctx, sent: &s.sent}
	if s.cfg.Realtime {
		s.streamQueued(cctx, w, lg)
	} else {
		s.streamDirect(cctx, w, lg)
	}
}

// commands reads and applies 5-byte commands until the connection ends.
func (s *Server) commands(ctx context.Context, conn net.Conn, lg *slog.Logger) {
	var b [CommandLen]byte
	for {
		if _, err := io.ReadFull(conn, b[:]); err != nil {
			return
		}
		s.apply(ctx, DecodeCommand(b), lg)
	}
}

func (s *Server) apply(ctx context.Context, c Command, lg *slog.Logger) {
	s.srcMu <- struct{}{}
	defer func() { <-s.srcMu }()
	lg.Debug("rtl_tcp command", "cmd", c.String())
	switch c.Op {
	case CmdSetFreq:
		if !s.info.Tunable {
			lg.Info("rtl_tcp: source is not tunable; ignoring", "freq_hz", c.Param)
		} else if err := s.cfg.Source.Tune(ctx, float64(c.Param)); err != nil {
			lg.Error("rtl_tcp: tune failed", "freq_hz", c.Param, "err", err)
		}
	case CmdSetSampleRate:
		if float64(c.Param) != math.Round(s.info.SampleRate) {
			lg.Error("rtl_tcp: client asks for a sample rate the source does not deliver (no resampling)",
				"asked", c.Param, "source", s.info.SampleRate)
		}
	case CmdSetGainMode, CmdSetGain, CmdSetFreqCorr, CmdSetIFGain, CmdSetTestMode, CmdSetAGCMode,
		CmdSetDirect, CmdSetOffsetTune, CmdSetRTLXtal, CmdSetTunerXtal, CmdSetGainIndex, CmdSetBiasTee:
		// recorded only: a Source has no such controls
	default:
		lg.Warn("rtl_tcp: unknown command ignored", "cmd", c.String())
	}
	s.mu.Lock()
	s.cmds = append(s.cmds, ServerCommand{Command: c, At: s.srcRead})
	s.mu.Unlock()
}

// readSource reads one chunk, serialised with commands.
func (s *Server) readSource(ctx context.Context, b []byte) (int, error) {
	s.srcMu <- struct{}{}
	defer func() { <-s.srcMu }()
	n, err := s.cfg.Source.Read(ctx, b)
	s.srcRead += int64(n)
	s.readCtr.Add(int64(n))
	return n, err
}

// capture fills b from the source Chunk by Chunk, so that commands apply
// between chunks, as a dongle retunes while it fills a USB buffer.
func (s *Server) capture(ctx context.Context, b []byte) (int, error) {
	got := 0
	for got < len(b) {
		n, err := s.readSource(ctx, b[got:min(len(b), got+s.cfg.Chunk)])
		got += n
		if err != nil {
			return got, err
		}
	}
	return got, nil
}

func (s *Server) sourceEnded(ctx context.Context, err error, lg *slog.Logger) {
	if ctx.Err() == nil {
		lg.Warn("rtl_tcp: source ended; closing the client", "err", err)
	}
}

// streamDirect sends the source as fast as the client takes it.
func (s *Server) streamDirect(ctx context.Context, w *faultyWriter, lg *slog.Logger) {
	buf := make([]byte, s.cfg.Chunk)
	for {
		n, err := s.readSource(ctx, buf)
		if n > 0 && !w.write(buf[:n]) {
			return
		}
		if err != nil {
			s.sourceEnded(ctx, err, lg)
			return
		}
	}
}

// streamQueued reads the source continuously into a bounded queue of
// Buffer-sized captures; the oldest are dropped when the client falls
// behind.
func (s *Server) streamQueued(ctx context.Context, w *faultyWriter, lg *slog.Logger) {
	q := &queue{max: s.maxQueue, wake: make(chan struct{}, 1), s: s}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer q.finish()
		for {
			b := q.get(s.cfg.Buffer)
			n, err := s.capture(ctx, b)
			if n > 0 {
				q.push(b[:n])
			}
			if err != nil {
				s.sourceEnded(ctx, err, lg)
				return
			}
		}
	}()
	defer wg.Wait()
	for {
		b, ok := q.pop(ctx)
		if !ok {
			return
		}
		if !w.write(b) {
			cancel()
			return
		}
		q.put(b)
	}
}

// queue is the Realtime server's bounded FIFO of captured buffers.
type queue struct {
	s     *Server
	max   int64
	wake  chan struct{}
	mu    sync.Mutex
	q     [][]byte
	bytes int64
	free  [][]byte
	done  bool
}

func (q *queue) get(size int) []byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	if n := len(q.free); n > 0 {
		b := q.free[n-1]
		q.free = q.free[:n-1]
		return b[:size]
	}
	return make([]byte, size)
}

func (q *queue) put(b []byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.free = append(q.free, b[:cap(b)])
}

func (q *queue) push(b []byte) {
	q.mu.Lock()
	q.q = append(q.q, b)
	q.bytes += int64(len(b))
	for q.bytes > q.max && len(q.q) > 1 {
		old := q.q[0]
		q.q[0] = nil
		q.q = q.q[1:]
		q.bytes -= int64(len(old))
		q.s.dropped.Add(int64(len(old)))
		q.free = append(q.free, old[:cap(old)])
	}
	q.s.queued.Store(q.bytes)
	if q.bytes > q.s.maxQueued.Load() {
		q.s.maxQueued.Store(q.bytes)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *queue) finish() {
	q.mu.Lock()
	q.done = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop waits for the oldest chunk; false when ctx ends or the producer
// finished and the queue is empty.
func (q *queue) pop(ctx context.Context) ([]byte, bool) {
	for {
		q.mu.Lock()
		if len(q.q) > 0 {
			b := q.q[0]
			q.q[0] = nil
			q.q = q.q[1:]
			q.bytes -= int64(len(b))
			q.s.queued.Store(q.bytes)
			q.mu.Unlock()
			return b, true
		}
		done := q.done
		q.mu.Unlock()
		if done {
			return nil, false
		}
		select {
		case <-ctx.Done():
			return nil, false
		case <-q.wake:
		}
	}
}

// faultyWriter writes stream bytes to the client, applying stall and close
// faults; write reports false when streaming must stop.
type faultyWriter struct {
	conn net.Conn
	f    Faults
	ctx  context.Context
	n    int64
	sent *atomic.Int64
}

func (w *faultyWriter) write(b []byte) bool {
	limit := int64(-1)
	if w.f.Stall {
		limit = w.f.StallAfter
	}
	if w.f.Close && (limit < 0 || w.f.CloseAfter < limit) {
		limit = w.f.CloseAfter
	}
	cut := false
	if limit >= 0 && w.n+int64(len(b)) >= limit {
		b, cut = b[:max(0, limit-w.n)], true
	}
	if len(b) > 0 {
		m, err := w.conn.Write(b)
		w.n += int64(m)
		w.sent.Add(int64(m))
		if err != nil {
			return false
		}
	}
	if !cut {
		return true
	}
	if w.f.Stall && w.n >= w.f.StallAfter && (!w.f.Close || w.f.StallAfter <= w.f.CloseAfter) {
		<-w.ctx.Done() // keep the connection, send nothing, until the client leaves
	}
	return false
}
