package rtltcp

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/iq"
	"github.com/cellwatch/cellwatch/pkg/sim"
	"github.com/cellwatch/cellwatch/pkg/source"
)

const rate = 2.4e6

func newSim(t *testing.T, realtime bool) *source.Sim {
	t.Helper()
	sc, err := sim.Builtin("corridor-small")
	if err != nil {
		t.Fatal(err)
	}
	s, err := source.NewSim("sim0", sc, rate, realtime)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startServer listens on cfg.Addr (default 127.0.0.1:0) and serves until
// the test ends; stop stops it and waits.
func startServer(t *testing.T, cfg ServerConfig) (srv *Server, stop func()) {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ListenAndServe(context.Background())
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			srv.Close()
			<-done
		})
	}
	t.Cleanup(stop)
	return srv, stop
}

func dial(t *testing.T, cfg Config) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func readFull(t *testing.T, c *Client, n int) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := make([]byte, n)
	got := 0
	for got < n {
		m, err := c.Read(ctx, p[got:])
		got += m
		if err != nil {
			t.Fatalf("read after %d bytes: %v", got, err)
		}
	}
	return p
}

// frameSource is a tunable cu8 test source whose samples say where they
// come from: a frame of 4 samples carries the tune tag (MHz mod 256) in
// every I byte and the frame index (big-endian uint32) in the Q bytes.
// Paced, it runs like a dongle: samples are due at the sample rate from
// the first Read, and a reader more than maxLag behind loses the backlog
// (counted in skipped), as a dongle's USB buffers would.
type frameSource struct {
	paced bool
	limit int64 // bytes before io.EOF; 0 = endless

	mu      sync.Mutex
	tag     byte
	freq    float64
	start   time.Time
	pos     int64 // frames delivered or skipped
	skipped int64 // frames
}

const frameLen = 8

func (f *frameSource) Name() string { return "frames" }
func (f *frameSource) Info() source.Info {
	f.mu.Lock()
	defer f.mu.Unlock()
	return source.Info{Format: iq.CU8, SampleRate: rate, CenterFreq: f.freq, Tunable: true, MinFreq: MinFreq, MaxFreq: MaxFreq}
}
func (f *frameSource) Close() error { return nil }
func (f *frameSource) Tune(ctx context.Context, hz float64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.freq, f.tag = hz, tagOf(hz)
	return nil
}

func tagOf(hz float64) byte { return byte(int64(hz/1e6) % 256) }

func (f *frameSource) Read(ctx context.Context, p []byte) (int, error) {
	n := len(p) &^ (frameLen - 1)
	f.mu.Lock()
	if f.limit > 0 {
		left := f.limit - f.pos*frameLen
		if left <= 0 {
			f.mu.Unlock()
			return 0, io.EOF
		}
		n = int(min(int64(n), left))
	}
	frames := int64(n / frameLen)
	if f.paced {
		now := time.Now()
		if f.start.IsZero() {
			f.start = now
		}
		due := int64(now.Sub(f.start).Seconds() * rate / 4)
		if lag := due - f.pos; lag > int64(0.1*rate/4) {
			f.skipped += lag
			f.pos = due
		}
		wait := f.start.Add(time.Duration(float64(f.pos+frames) * 4 / rate * 1e9))
		f.mu.Unlock()
		t := time.NewTimer(time.Until(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		case <-t.C:
		}
		f.mu.Lock()
	}
	defer f.mu.Unlock()
	for i := range frames {
		b := p[i*frameLen : (i+1)*frameLen]
		var idx [4]byte
		binary.BigEndian.PutUint32(idx[:], uint32(f.pos+i))
		for k := range 4 {
			b[2*k], b[2*k+1] = f.tag, idx[k]
		}
	}
	f.pos += frames
	return n, nil
}

// frameIndex decodes the frame at b (8 bytes, aligned).
func frameIndex(b []byte) uint32 {
	return uint32(b[1])<<24 | uint32(b[3])<<16 | uint32(b[5])<<8 | uint32(b[7])
}

// rawConn connects to srv without the client, for protocol tests.
func rawConn(t *testing.T, srv *Server) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", srv.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
