package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recObserver records Observer calls.
type recObserver struct {
	mu        sync.Mutex
	delivered map[string]int
	latencies []time.Duration
	failed    map[string]int // sink/permanent
	dropped   map[string]int
	pending   map[string]int // last value
}

func newRecObserver() *recObserver {
	return &recObserver{delivered: map[string]int{}, failed: map[string]int{}, dropped: map[string]int{}, pending: map[string]int{}}
}

func (o *recObserver) Delivered(s string, l time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.delivered[s]++
	o.latencies = append(o.latencies, l)
}

func (o *recObserver) Failed(s string, permanent bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failed[fmt.Sprintf("%s/%v", s, permanent)]++
}

func (o *recObserver) Dropped(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dropped[s]++
}

func (o *recObserver) Pending(s string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pending[s] = n
}

// logBuffer is a goroutine-safe buffer for a slog handler.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testLogger(buf io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func closeCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type attempt struct {
	id, ts, sig string
	body        []byte
}

// flakyReceiver answers 503 to the first attempt of every id, then 200, and
// records every attempt.
type flakyReceiver struct {
	mu       sync.Mutex
	attempts []attempt
}

func (f *flakyReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	a := attempt{r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), b}
	f.mu.Lock()
	seen := slices.ContainsFunc(f.attempts, func(x attempt) bool { return x.id == a.id })
	f.attempts = append(f.attempts, a)
	f.mu.Unlock()
	if !seen {
		http.Error(w, "try later", http.StatusServiceUnavailable)
	}
}

func TestDispatcherRetriesThenDelivers(t *testing.T) {
	rcv := &flakyReceiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()

	var logs logBuffer
	obs := newRecObserver()
	wh := newTestWebhook(t, strings.Replace(srv.URL, "http://", "http://ops:"+testPassword+"@", 1), nil)
	d, err := NewDispatcher(DispatcherConfig{Sinks: []Sink{wh}, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond,
		Logger: testLogger(&logs), Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(t.Context())

	// Events straight from the engine: each has its own id.
	en := newTestEngine(t)
	en.cfg.NewID = NewID
	var evs []Event
	evs = append(evs, en.Observe(at(0), gsm(5, 10), at(0), at(0))...)
	evs = append(evs, en.Tick(at(60))...)
	if len(evs) != 2 {
		t.Fatalf("engine gave %d events", len(evs))
	}
	for i := range evs {
		if err := d.Enqueue(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(closeCtx(t)); err != nil {
		t.Fatal(err)
	}

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.attempts) != 4 {
		t.Fatalf("receiver saw %d attempts, want 4 (503 then 200 for each event)", len(rcv.attempts))
	}
	// In order: firing twice, then resolved twice; same id across retries, distinct per event.
	ids := []string{rcv.attempts[0].id, rcv.attempts[1].id, rcv.attempts[2].id, rcv.attempts[3].id}
	if ids[0] != evs[0].ID || ids[1] != evs[0].ID || ids[2] != evs[1].ID || ids[3] != evs[1].ID || evs[0].ID == evs[1].ID {
		t.Fatalf("ids per attempt %v, events %s %s", ids, evs[0].ID, evs[1].ID)
	}
	for i, a := range rcv.attempts {
		if err := Verify(testKey, a.id, a.ts, a.body, a.sig); err != nil {
			t.Errorf("attempt %d: %v", i, err)
		}
		if !bytes.Equal(a.body, rcv.attempts[i&^1].body) {
			t.Errorf("attempt %d: body changed across retries", i)
		}
	}

	st := d.Stats()[wh.Name()]
	if st != (SinkStats{Delivered: 2, Retried: 2}) {
		t.Errorf("stats = %+v", st)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.delivered[wh.Name()] != 2 || obs.failed[wh.Name()+"/false"] != 2 || obs.pending[wh.Name()] != 0 || len(obs.dropped) != 0 {
		t.Errorf("observer = %+v", obs)
	}
	for _, l := range obs.latencies {
		if l <= 0 {
			t.Errorf("latency %s", l)
		}
	}
	out := logs.String()
	if !strings.Contains(out, "will retry") || !strings.Contains(out, "alert delivered") {
		t.Errorf("logs lack retry/delivery lines:\n%s", out)
	}
	assertNoSecret(t, "logs", out)
}

func TestDispatcherPermanentFailureNotRetried(t *testing.T) {
	var mu sync.Mutex
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		http.Error(w, "schema says no", http.StatusBadRequest)
	}))
	defer srv.Close()

	var logs logBuffer
	obs := newRecObserver()
	wh := newTestWebhook(t, srv.URL, nil)
	d, err := NewDispatcher(DispatcherConfig{Sinks: []Sink{wh}, BackoffBase: time.Millisecond, Logger: testLogger(&logs), Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(t.Context())
	if err := d.Enqueue(testEvent("e1")); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(closeCtx(t)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 1 {
		t.Fatalf("receiver hit %d times, want 1", hits)
	}
	if st := d.Stats()[wh.Name()]; st != (SinkStats{Permanent: 1}) {
		t.Errorf("stats = %+v", st)
	}
	if obs.failed[wh.Name()+"/true"] != 1 {
		t.Errorf("observer failed = %v", obs.failed)
	}
	if out := logs.String(); !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "400 Bad Request") {
		t.Errorf("permanent failure not logged as an error:\n%s", out)
	}
	assertNoSecret(t, "logs", logs.String())
}

func TestDispatcherTimeoutRetried(t *testing.T) {
	var mu sync.Mutex
	hits := 0
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // lets the server notice the client hanging up
		mu.Lock()
		hits++
		first := hits == 1
		mu.Unlock()
		if first {
			select { // hang until the client gives up
			case <-r.Context().Done():
			case <-release:
			}
		}
	}))
	defer srv.Close()
	defer close(release)

	wh := newTestWebhook(t, srv.URL, func(c *WebhookConfig) { c.Timeout = 50 * time.Millisecond })
	d, err := NewDispatcher(DispatcherConfig{Sinks: []Sink{wh}, BackoffBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(t.Context())
	if err := d.Enqueue(testEvent("e1")); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(closeCtx(t)); err != nil {
		t.Fatal(err)
	}
	if st := d.Stats()[wh.Name()]; st != (SinkStats{Delivered: 1, Retried: 1}) {
		t.Errorf("stats = %+v", st)
	}
}

// gateSink blocks every Notify until released, and records what it delivers.
type gateSink struct {
	name    string
	started chan string // receives the id of each attempt as it starts
	release chan struct{}
	fail    error // returned (retryable) when non-nil

	mu  sync.Mutex
	got []string
}

func newGateSink(name string) *gateSink {
	return &gateSink{name: name, started: make(chan string, 100), release: make(chan struct{})}
}

func (g *gateSink) Name() string { return g.name }

func (g *gateSink) Notify(ctx context.Context, ev *Event) (bool, error) {
	select {
	case g.started <- ev.ID:
	default:
	}
	select {
	case <-g.release:
	case <-ctx.Done():
		return true, ctx.Err()
	}
	if g.fail != nil {
		return true, g.fail
	}
	g.mu.Lock()
	g.got = append(g.got, ev.ID)
	g.mu.Unlock()
	return false, nil
}

func TestDispatcherOverflowDropsOldest(t *testing.T) {
	sink := newGateSink("gate")
	obs := newRecObserver()
	var logs logBuffer
	d, err := NewDispatcher(DispatcherConfig{Sinks: []Sink{sink}, QueueSize: 2, Observer: obs, Logger: testLogger(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(t.Context())

	d.Enqueue(testEvent("e1"))
	if id := <-sink.started; id != "e1" { // e1 is in flight, blocked
		t.Fatalf("first attempt %s", id)
	}
	for _, id := range []string{"e2", "e3", "e4", "e5"} {
		d.Enqueue(testEvent(id))
	}
	// Queue size 2: e2 and e3 were dropped, e4 and e5 wait behind e1.
	st := d.Stats()["gate"]
	if st.Dropped != 2 || st.Pending != 3 {
		t.Fatalf("stats = %+v", st)
	}
	obs.mu.Lock()
	if obs.dropped["gate"] != 2 || obs.pending["gate"] != 3 {
		t.Errorf("observer dropped %d pending %d", obs.dropped["gate"], obs.pending["gate"])
	}
	obs.mu.Unlock()

	close(sink.release)
	if err := d.Close(closeCtx(t)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sink.got, []string{"e1", "e4", "e5"}) {
		t.Fatalf("delivered %v, want [e1 e4 e5]", sink.got)
	}
	if st := d.Stats()["gate"]; st != (SinkStats{Delivered: 3, Dropped: 2}) {
		t.Errorf("final stats = %+v", st)
	}
	if out := logs.String(); strings.Count(out, "dropped the oldest") != 2 || !strings.Contains(out, "id=e2") {
		t.Errorf("drops not logged:\n%s", out)
	}
}

func TestDispatcherCloseGivesUpAtDeadline(t *testing.T) {
	sink := newGateSink("down")
	sink.fail = errors.New("receiver down")
	close(sink.release)
	obs := newRecObserver()
	d, err := NewDispatcher(DispatcherConfig{Sinks: []Sink{sink}, BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(t.Context())
	d.Enqueue(testEvent("e1"))
	d.Enqueue(testEvent("e2"))

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = d.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "2 undelivered") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Close took %s", el)
	}
	st := d.Stats()["down"]
	if st.Dropped != 2 || st.Pending != 0 || st.Retried == 0 || st.Delivered != 0 {
		t.Errorf("stats = %+v", st)
	}
	if !errors.Is(d.Enqueue(testEvent("e3")), ErrClosed) || !errors.Is(d.Close(t.Context()), ErrClosed) {
		t.Error("dispatcher usable after Close")
	}
}

// SIGTERM usually cancels the run context before Close is called: Close must
// still flush.
func TestDispatcherCloseFlushesAfterRunContextCancelled(t *testing.T) {
	sink := newGateSink("gate")
	d, err := NewDispatcher(DispatcherConfig{Sinks: []Sink{sink}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(t.Context())
	d.Start(runCtx)
	d.Enqueue(testEvent("e1"))
	<-sink.started // e1 in flight
	d.Enqueue(testEvent("e2"))
	stop() // aborts e1's attempt; e1 goes back to the head of the queue

	// Wait for the worker to put e1 back, then let deliveries through.
	q := d.queues[0]
	for {
		q.mu.Lock()
		back := q.inflight == nil && len(q.items) == 2
		q.mu.Unlock()
		if back {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(sink.release)
	if err := d.Close(closeCtx(t)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sink.got, []string{"e1", "e2"}) {
		t.Fatalf("delivered %v", sink.got)
	}
}

func TestDispatcherWithoutStartCloseFlushes(t *testing.T) {
	a, b := newGateSink("a"), newGateSink("b")
	close(a.release)
	close(b.release)
	d, err := NewDispatcher(DispatcherConfig{Sinks: []Sink{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	ev := testEvent("e1")
	d.Enqueue(ev)
	ev.ID = "mutated" // the dispatcher kept its own copy
	if err := d.Close(closeCtx(t)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.got, []string{"e1"}) || !slices.Equal(b.got, []string{"e1"}) {
		t.Fatalf("a got %v, b got %v", a.got, b.got)
	}
}

func TestNewDispatcherValidates(t *testing.T) {
	if _, err := NewDispatcher(DispatcherConfig{}); err == nil {
		t.Error("no sinks accepted")
	}
	if _, err := NewDispatcher(DispatcherConfig{Sinks: []Sink{newGateSink("x"), newGateSink("x")}}); err == nil {
		t.Error("duplicate sink names accepted")
	}
}

func TestBackoff(t *testing.T) {
	d, err := NewDispatcher(DispatcherConfig{Sinks: []Sink{newGateSink("x")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		attempts int
		nominal  time.Duration
	}{
		{1, 500 * time.Millisecond}, {2, time.Second}, {3, 2 * time.Second}, {8, time.Minute}, {100, time.Minute},
	} {
		nominal := min(tc.nominal, time.Minute)
		for range 50 {
			if b := d.backoff(tc.attempts); b < nominal/2 || b > nominal {
				t.Fatalf("backoff(%d) = %s, want in [%s, %s]", tc.attempts, b, nominal/2, nominal)
			}
		}
	}
}
