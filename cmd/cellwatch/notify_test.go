package main

import (
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// The watchdog is fed while receivers progress, starved while one is
// stuck, and a receiver being reopened neither starves it nor counts as
// stuck when it comes back.
func TestWatchdogStarvesOnStuckReceiver(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "3000000")
	t.Setenv("WATCHDOG_PID", "")
	n := newSystemdNotifier(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if n.watchdog != 3*time.Second || n.stuckAfter() != 5*time.Second {
		t.Fatalf("watchdog %v, stuck after %v", n.watchdog, n.stuckAfter())
	}
	pings := func() int {
		_ = conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		k := 0
		buf := make([]byte, 64)
		for {
			m, err := conn.Read(buf)
			if err != nil {
				return k
			}
			if string(buf[:m]) == "WATCHDOG=1" {
				k++
			}
		}
	}
	t0 := time.Unix(1000, 0)
	both := []string{"a", "b"}
	step := func(at time.Duration, sweeping []string, wantStuck []string, wantPings int) {
		t.Helper()
		stuck := n.tick(t0.Add(at), sweeping)
		if !slices.Equal(stuck, wantStuck) {
			t.Errorf("at %v: stuck %v, want %v", at, stuck, wantStuck)
		}
		if got := pings(); got != wantPings {
			t.Errorf("at %v: %d pings, want %d", at, got, wantPings)
		}
	}
	step(0, both, nil, 1) // first tick: both start afresh
	n.hop("a", t0.Add(500*time.Millisecond))
	step(500*time.Millisecond, both, nil, 0) // a third of the interval not elapsed
	step(time.Second, both, nil, 1)
	n.hop("a", t0.Add(4*time.Second))
	step(6*time.Second, both, []string{"b"}, 0) // b: no hop for 6 s > 5 s
	step(7*time.Second, both, []string{"b"}, 0)
	step(8*time.Second, []string{"a"}, nil, 1) // b failed, being reopened: not stuck
	n.hop("a", t0.Add(9*time.Second))
	step(9*time.Second, both, nil, 1)         // b back: starts afresh, not stuck
	step(9500*time.Millisecond, both, nil, 0) // pings at a third of the interval
}
