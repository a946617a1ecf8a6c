package outbox

import (
	"strings"
	"testing"
	"time"
)

func TestAddSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	recs, err := o.Add([]string{"hook", "am"}, []byte(`{"id":"a"}`), t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Sink != "hook" || recs[1].Sink != "am" || recs[0].Seq == 0 {
		t.Fatalf("records %+v", recs)
	}
	if _, err := o.Add([]string{"hook"}, []byte(`{"id":"b"}`), t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	// A second process on the same directory is refused, not corrupted.
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("second open: %v", err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	o, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	got, err := o.Pending("hook")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0].Data) != `{"id":"a"}` || string(got[1].Data) != `{"id":"b"}` || !got[0].Enqueued.Equal(t0) {
		t.Fatalf("pending after reopen: %+v", got)
	}
	sinks, err := o.Sinks()
	if err != nil || strings.Join(sinks, ",") != "am,hook" {
		t.Fatalf("sinks %v, %v", sinks, err)
	}

	if err := o.Delete("hook", got[0].Seq); err != nil {
		t.Fatal(err)
	}
	if err := o.Fail("hook", got[1].Seq, 3, "400 Bad Request", t0, 10); err != nil {
		t.Fatal(err)
	}
	if p, _ := o.Pending("hook"); len(p) != 0 {
		t.Fatalf("still pending: %+v", p)
	}
	f, err := o.Failed("hook")
	if err != nil || len(f) != 1 || f[0].Reason != "400 Bad Request" || f[0].Attempts != 3 || string(f[0].Data) != `{"id":"b"}` {
		t.Fatalf("failed %+v, %v", f, err)
	}
	if sinks, _ := o.Sinks(); strings.Join(sinks, ",") != "am" {
		t.Fatalf("sinks with pending records: %v", sinks)
	}
}

func TestFailKeepsBounded(t *testing.T) {
	o, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	for i := range 5 {
		recs, err := o.Add([]string{"s"}, []byte{byte('0' + i)}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Fail("s", recs[0].Seq, 1, "gone", time.Now(), 3); err != nil {
			t.Fatal(err)
		}
	}
	f, _ := o.Failed("s")
	if len(f) != 3 || string(f[0].Data) != "2" || string(f[2].Data) != "4" {
		t.Fatalf("want the 3 newest failed records, got %d: %+v", len(f), f)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(""); err == nil {
		t.Error("empty dir accepted")
	}
	if _, err := Open("/proc/nonexistent/x"); err == nil {
		t.Error("unwritable dir accepted")
	}
}

func BenchmarkAdd(b *testing.B) {
	o, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	data := []byte(strings.Repeat("x", 600))
	for b.Loop() {
		if _, err := o.Add([]string{"hook", "am"}, data, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
