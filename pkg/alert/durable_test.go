package alert

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/outbox"
)

// countingReceiver answers status() to every POST and records the ids of
// the 2xx ones.
type countingReceiver struct {
	mu     sync.Mutex
	status int
	ok     []string
	tries  int
}

func (c *countingReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tries++
	if c.status/100 == 2 {
		c.ok = append(c.ok, r.Header.Get("webhook-id"))
	}
	w.WriteHeader(c.status)
}

// Events queued while the receiver is down survive the dispatcher (and
// the outbox file) being closed and reopened, and are delivered then. (The
// receiver's comeback is a second server: an attempt abandoned by the first
// dispatcher cannot then be answered 2xx by a server that already
// switched, which would be a legitimate at-least-once duplicate.)
func TestDispatcherOutboxSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	down := httptest.NewServer(&countingReceiver{status: 503})
	defer down.Close()
	wh := newTestWebhook(t, down.URL, nil)

	store, err := outbox.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDispatcher(DispatcherConfig{Sinks: []Sink{wh}, Store: store, BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	d.Start(ctx)
	ids := []string{NewID(), NewID(), NewID()}
	for _, id := range ids {
		if err := d.Enqueue(testEvent(id)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond) // some 503s
	cancel()
	short, c2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer c2()
	if err := d.Close(short); err == nil {
		t.Fatal("Close with a receiver down must say events are left")
	}
	if p, _ := store.Pending(wh.Name()); len(p) != 3 {
		t.Fatalf("%d pending in the outbox after close, want 3", len(p))
	}
	store.Close()

	rcv := &countingReceiver{status: 200}
	up := httptest.NewServer(rcv)
	defer up.Close()
	wh = newTestWebhook(t, up.URL, nil) // same sink name: the outbox's key
	store, err = outbox.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	obs := newRecObserver()
	d, err = NewDispatcher(DispatcherConfig{Sinks: []Sink{wh}, Store: store, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	if n := d.Pending(wh.Name()); n != 3 {
		t.Fatalf("pending after reopen = %d, want 3", n)
	}
	d.Start(t.Context())
	if err := d.Close(closeCtx(t)); err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.ok) != 3 || rcv.ok[0] != ids[0] || rcv.ok[1] != ids[1] || rcv.ok[2] != ids[2] {
		t.Fatalf("delivered %v, want %v in order", rcv.ok, ids)
	}
	if p, _ := store.Pending(wh.Name()); len(p) != 0 {
		t.Fatalf("%d still pending after delivery", len(p))
	}
}

// A permanent failure is counted and kept in the outbox's failed records.
func TestDispatcherPermanentFailureKeptForInspection(t *testing.T) {
	rcv := &countingReceiver{status: 422}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	wh := newTestWebhook(t, srv.URL, nil)
	store, err := outbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	obs := newRecObserver()
	d, err := NewDispatcher(DispatcherConfig{Sinks: []Sink{wh}, Store: store, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(t.Context())
	id := NewID()
	if err := d.Enqueue(testEvent(id)); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(closeCtx(t)); err != nil {
		t.Fatal(err)
	}
	f, err := store.Failed(wh.Name())
	if err != nil || len(f) != 1 {
		t.Fatalf("failed records %+v, %v", f, err)
	}
	var ev Event
	if err := json.Unmarshal(f[0].Data, &ev); err != nil || ev.ID != id || f[0].Attempts != 1 || f[0].Reason == "" {
		t.Fatalf("failed record %+v (event %+v, %v)", f[0], ev, err)
	}
	if obs.failed[wh.Name()+"/true"] != 1 || rcv.tries != 1 {
		t.Fatalf("permanent failures %v, tries %d", obs.failed, rcv.tries)
	}
}

// Overflow drops the oldest from the outbox too, and counts it.
func TestDispatcherOverflowDropsOldestFromOutbox(t *testing.T) {
	wh := newTestWebhook(t, "http://127.0.0.1:1/never", nil)
	store, err := outbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	obs := newRecObserver()
	d, err := NewDispatcher(DispatcherConfig{Sinks: []Sink{wh}, Store: store, QueueSize: 2, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{NewID(), NewID(), NewID(), NewID()}
	for _, id := range ids {
		if err := d.Enqueue(testEvent(id)); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := store.Pending(wh.Name())
	if len(p) != 2 || obs.dropped[wh.Name()] != 2 {
		t.Fatalf("pending %d, dropped %d; want 2 and 2", len(p), obs.dropped[wh.Name()])
	}
	var ev Event
	_ = json.Unmarshal(p[0].Data, &ev)
	if ev.ID != ids[2] {
		t.Fatalf("oldest kept is %s, want %s", ev.ID, ids[2])
	}
}

// Filters route events; EnqueueTo targets one sink.
func TestDispatcherFiltersAndEnqueueTo(t *testing.T) {
	threatOnly := newTestWebhook(t, "http://127.0.0.1:1/a", func(c *WebhookConfig) {
		c.Name, c.Severities, c.Zones = "threat-only", []Severity{SeverityThreat}, []string{"z"}
	})
	all := newTestWebhook(t, "http://127.0.0.1:1/b", func(c *WebhookConfig) { c.Name = "all" })
	d, err := NewDispatcher(DispatcherConfig{Sinks: []Sink{threatOnly, all}})
	if err != nil {
		t.Fatal(err)
	}
	risk := testEvent(NewID())
	risk.Severity, risk.Zone = SeverityRisk, "z"
	threat := testEvent(NewID())
	threat.Severity, threat.Zone = SeverityThreat, "z"
	other := testEvent(NewID())
	other.Severity, other.Zone = SeverityThreat, "elsewhere"
	for _, ev := range []*Event{risk, threat, other} {
		if err := d.Enqueue(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.EnqueueTo(testEvent(NewID()), "all"); err != nil {
		t.Fatal(err)
	}
	if a, b := d.Pending("threat-only"), d.Pending("all"); a != 1 || b != 4 {
		t.Fatalf("pending threat-only %d (want 1), all %d (want 4)", a, b)
	}
}
