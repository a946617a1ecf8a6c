package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/cellwatch/cellwatch/pkg/outbox"
)

// Observer receives the Dispatcher's metrics; the daemon wires it to
// Prometheus: Delivered → cellwatch_notifications_total{result="success"}
// and cellwatch_notification_latency_seconds; Failed → result "retry" or
// (permanent) "failed"; Dropped → result "dropped"; Pending →
// cellwatch_outbox_pending. Methods may be called concurrently, must be
// fast, and must not call the Dispatcher.
type Observer interface {
	// Delivered: an event reached the sink; latency runs from Enqueue to
	// the 2xx.
	Delivered(sink string, latency time.Duration)
	// Failed: an attempt failed; permanent means the event is given up.
	Failed(sink string, permanent bool)
	// Dropped: an undelivered event was discarded (queue overflow, or —
	// without a durable store — still queued when Close gave up).
	Dropped(sink string)
	// Pending: events queued or in flight for the sink.
	Pending(sink string, n int)
}

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	Sinks []Sink // names must be unique
	// Store makes the queues durable: every event is written (fsync'd) to
	// it before Enqueue returns, delivered events are deleted from it,
	// permanent failures are moved to its failed records, and what is
	// pending in it when NewDispatcher runs is delivered first. Sink names
	// key the records, so keep them stable across restarts. nil: queues
	// in memory only (events queued when the process dies are lost).
	Store *outbox.Outbox
	// QueueSize bounds each sink's queue of events waiting for delivery
	// (the one in flight not counted); default 10000. When it is full,
	// Enqueue drops the OLDEST waiting event (also from Store), logs it and
	// reports Dropped: the newest events describe the present, and a
	// receiver that has been down for 10000 events has lost the old ones'
	// urgency anyway.
	QueueSize int
	// FailedKeep bounds the permanently failed events Store keeps per sink
	// for inspection (oldest pruned first); default 1000.
	FailedKeep int
	// Retry delays grow as BackoffBase·2^(attempt−1), capped at BackoffMax,
	// with jitter: the wait is uniform in [d/2, d]. Defaults 500ms and 1m.
	BackoffBase, BackoffMax time.Duration
	Logger                  *slog.Logger // nil: discard
	Observer                Observer     // nil: none
}

// Defaults of DispatcherConfig.
const (
	DefaultQueueSize   = 10000
	DefaultFailedKeep  = 1000
	DefaultBackoffBase = 500 * time.Millisecond
	DefaultBackoffMax  = time.Minute
)

// SinkStats counts one sink's deliveries since the Dispatcher started.
type SinkStats struct {
	Delivered uint64 // events delivered
	Retried   uint64 // attempts failed with a retryable error
	Permanent uint64 // events given up after a permanent error
	Dropped   uint64 // events discarded undelivered
	Pending   int    // events queued or in flight now
}

// ErrClosed is returned by Enqueue and Close once Close has been called.
var ErrClosed = errors.New("alert: dispatcher closed")

// Dispatcher delivers events to sinks, each sink with its own bounded FIFO
// queue and worker: one event in flight per sink, in order (a firing is
// never overtaken by its resolution), retried with backoff until it is
// delivered, fails permanently, or the dispatcher stops.
//
// With a Store, every queue is mirrored on disk and survives restarts
// (at-least-once: an event delivered just before a crash, but not yet
// deleted, is sent again; receivers de-duplicate on its id).
type Dispatcher struct {
	cfg    DispatcherConfig
	log    *slog.Logger
	obs    Observer
	queues []*sinkQueue

	mu      sync.Mutex
	started bool
	closed  bool
	closing chan struct{} // closed by Close: workers exit once their queue is empty
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// NewDispatcher validates cfg. Call Start to begin delivering.
func NewDispatcher(cfg DispatcherConfig) (*Dispatcher, error) {
	if len(cfg.Sinks) == 0 {
		return nil, errors.New("alert: dispatcher: no sinks")
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.FailedKeep <= 0 {
		cfg.FailedKeep = DefaultFailedKeep
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.BackoffMax < cfg.BackoffBase {
		cfg.BackoffMax = cfg.BackoffBase
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	obs := cfg.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	d := &Dispatcher{cfg: cfg, log: log, obs: obs, closing: make(chan struct{})}
	seen := map[string]bool{}
	for _, s := range cfg.Sinks {
		name := s.Name()
		if name == "" || seen[name] {
			return nil, fmt.Errorf("alert: dispatcher: sink name %q is empty or not unique", name)
		}
		seen[name] = true
		d.queues = append(d.queues, &sinkQueue{
			sink:   s,
			name:   name,
			log:    log.With("sink", name),
			obs:    obs,
			store:  cfg.Store,
			keep:   cfg.FailedKeep,
			signal: make(chan struct{}, 1),
		})
	}
	if cfg.Store != nil {
		if err := d.load(seen); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// load queues what the store holds from an earlier run.
func (d *Dispatcher) load(configured map[string]bool) error {
	names, err := d.cfg.Store.Sinks()
	if err != nil {
		return fmt.Errorf("alert: dispatcher: %w", err)
	}
	for _, n := range names {
		if !configured[n] {
			d.log.Warn("the outbox holds pending events for a sink that is no longer configured; they stay on disk until it is configured again",
				"sink", n, "outbox", d.cfg.Store.Path())
		}
	}
	for _, q := range d.queues {
		recs, err := d.cfg.Store.Pending(q.name)
		if err != nil {
			return fmt.Errorf("alert: dispatcher: %w", err)
		}
		for _, r := range recs {
			var ev Event
			if err := json.Unmarshal(r.Data, &ev); err != nil {
				// Not ours to guess at: keep it for inspection, out of the way.
				q.log.Error("outbox record does not decode as an event; moved to the failed records", "seq", r.Seq, "err", err)
				if ferr := d.cfg.Store.Fail(q.name, r.Seq, 0, "undecodable: "+err.Error(), time.Now(), d.cfg.FailedKeep); ferr != nil {
					return fmt.Errorf("alert: dispatcher: %w", ferr)
				}
				continue
			}
			q.push(&item{ev: &ev, enqueued: r.Enqueued, seq: r.Seq}, d.cfg.QueueSize)
		}
		if len(recs) > 0 {
			q.log.Info("resuming delivery of events left in the outbox", "pending", len(recs))
		}
	}
	return nil
}

// Start launches one worker per sink. They stop when ctx is cancelled
// (abandoning what is queued, in-flight attempts aborted) or when Close
// has flushed. Calling Start again, or after Close, does nothing.
func (d *Dispatcher) Start(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started || d.closed {
		return
	}
	d.started = true
	wctx, cancel := context.WithCancel(ctx)
	d.cancel = cancel
	for _, q := range d.queues {
		d.wg.Go(func() { d.work(wctx, q) })
	}
}

// Filter is implemented by sinks that take only some events (a webhook
// for some zones, severities or types). Sinks without it take every event.
type Filter interface {
	Accepts(ev *Event) bool
}

// Enqueue queues ev for every sink that accepts it, writing it to the
// store first (one fsync) when there is one; it does not wait for delivery.
// The dispatcher keeps its own copy of ev. If the store cannot be written,
// the event is still queued in memory and the error says so.
func (d *Dispatcher) Enqueue(ev *Event) error {
	return d.enqueue(ev, func(q *sinkQueue) bool {
		f, ok := q.sink.(Filter)
		return !ok || f.Accepts(ev)
	})
}

// EnqueueTo queues ev for the named sink only (Alertmanager re-sends).
func (d *Dispatcher) EnqueueTo(ev *Event, sink string) error {
	return d.enqueue(ev, func(q *sinkQueue) bool { return q.name == sink })
}

// Pending returns the number of events queued or in flight for sink.
func (d *Dispatcher) Pending(sink string) int {
	for _, q := range d.queues {
		if q.name == sink {
			return q.pending()
		}
	}
	return 0
}

func (d *Dispatcher) enqueue(ev *Event, want func(*sinkQueue) bool) error {
	if ev == nil {
		return errors.New("alert: enqueue: nil event")
	}
	ev = ev.clone()
	now := time.Now()
	var qs []*sinkQueue
	var names []string
	for _, q := range d.queues {
		if want(q) {
			qs = append(qs, q)
			names = append(names, q.name)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	if len(qs) == 0 {
		return nil
	}
	var storeErr error
	seqs := make([]uint64, len(qs))
	if d.cfg.Store != nil {
		data, err := json.Marshal(ev)
		if err == nil {
			var recs []outbox.Record
			if recs, err = d.cfg.Store.Add(names, data, now); err == nil {
				for i, r := range recs {
					seqs[i] = r.Seq
				}
			}
		}
		if err != nil {
			storeErr = fmt.Errorf("alert: event %s queued in memory only: %w", ev.ID, err)
		}
	}
	for i, q := range qs {
		q.push(&item{ev: ev, enqueued: now, seq: seqs[i]}, d.cfg.QueueSize)
	}
	return storeErr
}

// Close stops accepting events and flushes: it keeps delivering what is
// queued (with the usual retries) until every queue is empty or ctx ends,
// then stops the workers. It works whether or not Start's context is still
// live (SIGTERM often cancels it first) and whether or not Start was called.
// Events still undelivered stay in the store for the next start; without a
// store they are reported Dropped. Either way Close returns an error saying
// how many.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	d.closed = true
	close(d.closing)
	cancel := d.cancel
	d.mu.Unlock()

	if cancel != nil {
		stop := context.AfterFunc(ctx, cancel) // give up at Close's deadline
		d.wg.Wait()
		stop()
		cancel()
	}
	// Workers that Start's context stopped early (or that never ran) left
	// events behind: flush them under ctx.
	if ctx.Err() == nil {
		var wg sync.WaitGroup
		for _, q := range d.queues {
			if q.pending() > 0 {
				wg.Go(func() { d.work(ctx, q) })
			}
		}
		wg.Wait()
	}
	lost := 0
	for _, q := range d.queues {
		lost += q.dropAll()
	}
	if lost > 0 && d.cfg.Store != nil {
		return fmt.Errorf("alert: dispatcher closed with %d undelivered events, kept in %s for the next start: %w", lost, d.cfg.Store.Path(), context.Cause(ctx))
	}
	if lost > 0 {
		return fmt.Errorf("alert: dispatcher closed with %d undelivered events: %w", lost, context.Cause(ctx))
	}
	return nil
}

// Stats returns a snapshot of the counters per sink name.
func (d *Dispatcher) Stats() map[string]SinkStats {
	m := make(map[string]SinkStats, len(d.queues))
	for _, q := range d.queues {
		q.mu.Lock()
		s := q.stats
		s.Pending = q.pendingLocked()
		q.mu.Unlock()
		m[q.name] = s
	}
	return m
}

// work delivers q's events in order until ctx ends or, once Close was
// called, q is empty.
func (d *Dispatcher) work(ctx context.Context, q *sinkQueue) {
	for {
		it := q.take(ctx, d.closing)
		if it == nil {
			return
		}
		if !d.deliver(ctx, q, it) {
			return
		}
	}
}

// deliver tries it until it is delivered or given up (true), or ctx ends
// (false; it goes back to the head of the queue).
func (d *Dispatcher) deliver(ctx context.Context, q *sinkQueue, it *item) bool {
	log := q.log.With("id", it.ev.ID, "type", it.ev.Type)
	for {
		it.attempts++
		retry, err := q.sink.Notify(ctx, it.ev)
		if err == nil {
			latency := time.Since(it.enqueued)
			if q.store != nil {
				if derr := q.store.Delete(q.name, it.seq); derr != nil {
					// It will be delivered again after a restart: at least once.
					log.Error("delivered event not removed from the outbox", "err", derr)
				}
			}
			q.done(it, func(s *SinkStats) { s.Delivered++ })
			q.obs.Delivered(q.name, latency)
			log.Info("alert delivered", "attempts", it.attempts, "latency", latency)
			return true
		}
		if ctx.Err() != nil { // stopping: not the sink's fault, keep the event
			q.requeue(it)
			return false
		}
		if !retry {
			q.done(it, func(s *SinkStats) { s.Permanent++ })
			q.obs.Failed(q.name, true)
			if q.store != nil {
				if ferr := q.store.Fail(q.name, it.seq, it.attempts, err.Error(), time.Now(), q.keep); ferr != nil {
					log.Error("could not move the failed event to the outbox's failed records", "err", ferr)
				}
				log.Error("alert delivery failed permanently; event kept in the outbox's failed records", "attempts", it.attempts, "err", err)
			} else {
				log.Error("alert delivery failed permanently, event dropped", "attempts", it.attempts, "err", err)
			}
			return true
		}
		q.count(func(s *SinkStats) { s.Retried++ })
		q.obs.Failed(q.name, false)
		wait := d.backoff(it.attempts)
		log.Warn("alert delivery failed, will retry", "attempts", it.attempts, "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			q.requeue(it)
			return false
		}
	}
}

// backoff returns the wait after the given number of failed attempts.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	b := d.cfg.BackoffBase
	for i := 1; i < attempts && b < d.cfg.BackoffMax; i++ {
		b *= 2
	}
	b = min(b, d.cfg.BackoffMax)
	return b/2 + rand.N(b/2+1)
}

type item struct {
	ev       *Event // shared by all sinks, read-only
	enqueued time.Time
	attempts int
	seq      uint64 // its record in the store (0: not stored)
}

// sinkQueue is one sink's FIFO of events waiting, plus the one in flight.
type sinkQueue struct {
	sink   Sink
	name   string
	log    *slog.Logger
	obs    Observer
	store  *outbox.Outbox // nil: memory only
	keep   int            // failed records kept in store
	signal chan struct{}  // a push happened

	mu       sync.Mutex
	items    []*item
	inflight *item
	stats    SinkStats
}

func (q *sinkQueue) pendingLocked() int {
	n := len(q.items)
	if q.inflight != nil {
		n++
	}
	return n
}

func (q *sinkQueue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pendingLocked()
}

// push appends it, dropping the oldest waiting events beyond size.
func (q *sinkQueue) push(it *item, size int) {
	q.mu.Lock()
	for len(q.items) >= size {
		old := q.items[0]
		q.items[0] = nil
		q.items = q.items[1:]
		q.stats.Dropped++
		q.obs.Dropped(q.name)
		if q.store != nil && old.seq != 0 {
			if err := q.store.Delete(q.name, old.seq); err != nil {
				q.log.Error("dropped event not removed from the outbox", "id", old.ev.ID, "err", err)
			}
		}
		q.log.Warn("alert queue full, dropped the oldest undelivered event",
			"id", old.ev.ID, "type", old.ev.Type, "queue_size", size)
	}
	q.items = append(q.items, it)
	q.obs.Pending(q.name, q.pendingLocked())
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// take waits for the next event and marks it in flight; nil when ctx ends,
// or when closing is closed and the queue is empty.
func (q *sinkQueue) take(ctx context.Context, closing <-chan struct{}) *item {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			it := q.items[0]
			q.items[0] = nil
			q.items = q.items[1:]
			q.inflight = it
			q.mu.Unlock()
			return it
		}
		q.mu.Unlock()
		if ctx.Err() != nil {
			return nil
		}
		select {
		case <-q.signal:
		case <-ctx.Done():
			return nil
		case <-closing:
			if q.pending() == 0 {
				return nil
			}
		}
	}
}

// done retires the in-flight event, updating the stats with f.
func (q *sinkQueue) done(it *item, f func(*SinkStats)) {
	q.mu.Lock()
	f(&q.stats)
	if q.inflight == it {
		q.inflight = nil
	}
	q.obs.Pending(q.name, q.pendingLocked())
	q.mu.Unlock()
}

func (q *sinkQueue) count(f func(*SinkStats)) {
	q.mu.Lock()
	f(&q.stats)
	q.mu.Unlock()
}

// requeue puts the in-flight event back at the head (it stays the oldest).
func (q *sinkQueue) requeue(it *item) {
	q.mu.Lock()
	if q.inflight == it {
		q.inflight = nil
	}
	q.items = append([]*item{it}, q.items...)
	q.mu.Unlock()
}

// dropAll discards everything left in memory and returns how many: with a
// store they stay on disk for the next start; without, each is reported
// Dropped.
func (q *sinkQueue) dropAll() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.items)
	for _, it := range q.items {
		if q.store != nil {
			q.log.Info("alert undelivered at shutdown, kept in the outbox", "id", it.ev.ID, "type", it.ev.Type, "attempts", it.attempts)
			continue
		}
		q.stats.Dropped++
		q.obs.Dropped(q.name)
		q.log.Warn("alert undelivered at shutdown, dropped", "id", it.ev.ID, "type", it.ev.Type, "attempts", it.attempts)
	}
	q.items = nil
	q.obs.Pending(q.name, q.pendingLocked())
	return n
}

type nopObserver struct{}

func (nopObserver) Delivered(string, time.Duration) {}
func (nopObserver) Failed(string, bool)             {}
func (nopObserver) Dropped(string)                  {}
func (nopObserver) Pending(string, int)             {}
