package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
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
	// Dropped: an undelivered event was discarded (queue overflow, or still
	// queued when Close gave up).
	Dropped(sink string)
	// Pending: events queued or in flight for the sink.
	Pending(sink string, n int)
}

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	Sinks []Sink // names must be unique
	// QueueSize bounds each sink's queue of events waiting for delivery
	// (the one in flight not counted); default 1000. When it is full,
	// Enqueue drops the OLDEST waiting event, logs it and reports Dropped.
	QueueSize int
	// Retry delays grow as BackoffBase·2^(attempt−1), capped at BackoffMax,
	// with jitter: the wait is uniform in [d/2, d]. Defaults 500ms and 1m.
	BackoffBase, BackoffMax time.Duration
	Logger                  *slog.Logger // nil: discard
	Observer                Observer     // nil: none
}

// Defaults of DispatcherConfig.
const (
	DefaultQueueSize   = 1000
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
// The queues are in memory: events still queued when the process dies are
// lost. (The durable outbox replaces the queue storage, not this shape.)
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
			signal: make(chan struct{}, 1),
		})
	}
	return d, nil
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

// Enqueue queues ev for every sink and returns at once; it never blocks.
// The dispatcher keeps its own copy of ev.
func (d *Dispatcher) Enqueue(ev *Event) error {
	if ev == nil {
		return errors.New("alert: enqueue: nil event")
	}
	ev = ev.clone()
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	for _, q := range d.queues {
		q.push(&item{ev: ev, enqueued: now}, d.cfg.QueueSize)
	}
	return nil
}

// Close stops accepting events and flushes: it keeps delivering what is
// queued (with the usual retries) until every queue is empty or ctx ends,
// then stops the workers. It works whether or not Start's context is still
// live (SIGTERM often cancels it first) and whether or not Start was called.
// Events still undelivered are reported Dropped, and Close returns an error
// saying how many.
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
			log.Error("alert delivery failed permanently, event dropped", "attempts", it.attempts, "err", err)
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
}

// sinkQueue is one sink's FIFO of events waiting, plus the one in flight.
type sinkQueue struct {
	sink   Sink
	name   string
	log    *slog.Logger
	obs    Observer
	signal chan struct{} // a push happened

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

// dropAll discards everything left, reporting each event Dropped.
func (q *sinkQueue) dropAll() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.items)
	for _, it := range q.items {
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
