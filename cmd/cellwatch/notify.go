package main

import (
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
)

// systemdNotifier tells systemd (Type=notify) how the daemon is doing:
// READY=1 once the first sweep completed, RELOADING=1 … READY=1 around a
// reload, STOPPING=1 on shutdown, and WATCHDOG=1 only while every sweeping
// receiver makes progress, so that a hung sweep (a wedged USB read, a
// deadlock) gets the unit killed and restarted by WatchdogSec. Outside
// systemd (no $NOTIFY_SOCKET) every call does nothing.
type systemdNotifier struct {
	log      *slog.Logger
	watchdog time.Duration // WatchdogSec; 0 when systemd does not watch
	isReady  atomic.Bool

	mu       sync.Mutex
	progress map[string]time.Time // receiver → its last completed hop (or start)
	lastPing time.Time
}

func newSystemdNotifier(log *slog.Logger) *systemdNotifier {
	n := &systemdNotifier{log: log, progress: map[string]time.Time{}}
	wd, err := sd.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("systemd watchdog settings unreadable; not pinging the watchdog", "err", err)
	}
	n.watchdog = wd
	return n
}

func (n *systemdNotifier) send(state string) {
	if _, err := sd.SdNotify(false, state); err != nil {
		n.log.Warn("systemd notification failed", "state", state, "err", err)
	}
}

// firstSweep reports readiness once.
func (n *systemdNotifier) firstSweep() {
	if n.isReady.CompareAndSwap(false, true) {
		n.send(sd.SdNotifyReady)
	}
}

func (n *systemdNotifier) reloading() { n.send(sd.SdNotifyReloading) }

// ready ends a reload; before the first sweep the daemon is not ready yet.
func (n *systemdNotifier) ready() {
	if n.isReady.Load() {
		n.send(sd.SdNotifyReady)
	}
}

func (n *systemdNotifier) stopping() { n.send(sd.SdNotifyStopping) }

// hop records that a receiver completed a hop (or started).
func (n *systemdNotifier) hop(receiver string, now time.Time) {
	n.mu.Lock()
	n.progress[receiver] = now
	n.mu.Unlock()
}

// stuckAfter is how long a sweeping receiver may go without completing a
// hop before the watchdog is no longer fed. A hop takes tens of
// milliseconds; a silent receiver is declared stalled by the sweep after
// 2 s and then reopened (not stuck: it is excluded meanwhile).
func (n *systemdNotifier) stuckAfter() time.Duration { return max(n.watchdog/2, 5*time.Second) }

// tick feeds the watchdog, at a third of its interval, while no receiver
// in sweeping is stuck. Receivers left out of sweeping (being reopened:
// their own give-up timer ends the daemon) start afresh when they return.
// It returns the stuck ones.
func (n *systemdNotifier) tick(now time.Time, sweeping []string) (stuck []string) {
	if n.watchdog <= 0 {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for name := range n.progress {
		if !slices.Contains(sweeping, name) {
			delete(n.progress, name)
		}
	}
	for _, name := range sweeping {
		last, ok := n.progress[name]
		if !ok {
			n.progress[name] = now
		} else if now.Sub(last) > n.stuckAfter() {
			stuck = append(stuck, name)
		}
	}
	if len(stuck) == 0 && now.Sub(n.lastPing) >= n.watchdog/3 {
		n.send(sd.SdNotifyWatchdog)
		n.lastPing = now
	}
	return stuck
}
