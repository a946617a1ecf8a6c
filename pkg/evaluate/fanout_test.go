package evaluate

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/cellwatch/cellwatch/pkg/source"
)

// fanOps is a sweeper-like call sequence: tune, then reads in chunks of
// the given sizes (bytes), hop after hop.
func fanOps(hops int, chunks []int) (tunes []float64, reads [][]int) {
	for h := 0; h < hops; h++ {
		tunes = append(tunes, 850e6+float64(h%7)*2e6)
		reads = append(reads, chunks)
	}
	return tunes, reads
}

func readAll(t *testing.T, src source.Source, tunes []float64, reads [][]int) ([]byte, error) {
	t.Helper()
	ctx := context.Background()
	var out []byte
	for h, f := range tunes {
		if err := src.Tune(ctx, f); err != nil {
			return out, err
		}
		for _, n := range reads[h] {
			p := make([]byte, n)
			for got := 0; got < n; {
				m, err := src.Read(ctx, p[got:])
				if err != nil {
					return out, err
				}
				got += m
			}
			out = append(out, p...)
		}
	}
	return out, nil
}

func clutterSource(t *testing.T) *source.Sim {
	t.Helper()
	src, err := source.NewSim("fan", ClutterScene(3), 2.4e6, false)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// Every reader of a fan-out gets exactly the bytes one reader of the
// source alone would, however each cuts its reads, concurrently and with
// readers far enough apart to hit the lag bound.
func TestFanOutReadersSeeTheSourceStream(t *testing.T) {
	tunes, reads := fanOps(400, []int{2400, 4800})
	want, err := readAll(t, clutterSource(t), tunes, reads)
	if err != nil {
		t.Fatal(err)
	}
	src := clutterSource(t)
	_, readers := newFanOut(src, 3)
	// Reader 2 reads the same samples in other cuts (a sweeper whose
	// discard buffer is smaller): the stream is the same.
	cuts := [][]int{{2400, 4800}, {2400, 4800}, {2400, 2400, 2400}}
	got := make([][]byte, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer readers[i].Close()
			tr := make([][]int, len(tunes))
			for h := range tr {
				tr[h] = cuts[i]
			}
			got[i], errs[i] = readAll(t, readers[i], tunes, tr)
		}()
	}
	wg.Wait()
	for i := range readers {
		if errs[i] != nil {
			t.Fatalf("reader %d: %v", i, errs[i])
		}
		if !bytes.Equal(got[i], want) {
			t.Errorf("reader %d: %d bytes differ from the source's own stream (%d bytes)", i, len(got[i]), len(want))
		}
	}
}

// A reader whose calls differ from the shared stream fails loudly.
func TestFanOutDivergedReaderFails(t *testing.T) {
	_, readers := newFanOut(clutterSource(t), 2)
	tunes, reads := fanOps(3, []int{4800})
	if _, err := readAll(t, readers[0], tunes, reads); err != nil {
		t.Fatal(err)
	}
	tunes[1] = 900e6
	_, err := readAll(t, readers[1], tunes, reads)
	if err == nil || !strings.Contains(err.Error(), "diverged") || !strings.Contains(err.Error(), "900000000") {
		t.Errorf("diverging tune gave %v, want a divergence error naming it", err)
	}
}

// A closed reader no longer holds the others back.
func TestFanOutClosedReaderReleasesTheLog(t *testing.T) {
	f, readers := newFanOut(clutterSource(t), 2)
	readers[1].Close()
	tunes, reads := fanOps(2*maxFanLag, []int{480})
	if _, err := readAll(t, readers[0], tunes, reads); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.log) != 0 {
		t.Errorf("log holds %d ops that no live reader needs", len(f.log))
	}
}
