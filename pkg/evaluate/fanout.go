package evaluate

import (
	"context"
	"fmt"
	"sync"

	"github.com/cellwatch/cellwatch/pkg/source"
)

// fanOut lets k sweepers that make the same calls (same hop plan, order,
// settle and dwell) share one source: the first reader to need a Tune or a
// Read performs it on the source and logs it, the others replay the log.
// The simulator then runs once for k detector set-ups (the false-alarm
// calibration sweeps one stream at several budgets), and every set-up sees
// byte-identical samples. A reader whose calls differ from the log fails
// instead of silently reading someone else's samples.
type fanOut struct {
	src source.Source

	mu   sync.Mutex
	cond *sync.Cond
	log  []fanOp // ops from index base on
	base int
	pos  []int // next op of each reader (absolute index)
	off  []int // bytes of op pos[i] already read (data ops)
	done []bool
}

// fanOp is one logged source call: a tune, or the bytes one Read returned.
type fanOp struct {
	tune   bool
	freqHz float64
	data   []byte
}

// maxFanLag bounds how many ops the fastest reader may run ahead of the
// slowest (memory: a few dwells' worth of samples).
const maxFanLag = 256

func newFanOut(src source.Source, k int) (*fanOut, []source.Source) {
	f := &fanOut{src: src, pos: make([]int, k), off: make([]int, k), done: make([]bool, k)}
	f.cond = sync.NewCond(&f.mu)
	readers := make([]source.Source, k)
	for i := range readers {
		readers[i] = &fanReader{f: f, i: i}
	}
	return f, readers
}

// slowest is the lowest op index a live reader still needs.
func (f *fanOut) slowest() int {
	m := f.base + len(f.log)
	for i, p := range f.pos {
		if !f.done[i] {
			m = min(m, p)
		}
	}
	return m
}

// trim drops the ops every live reader has passed.
func (f *fanOut) trim() {
	if n := f.slowest() - f.base; n > 0 {
		clear(f.log[:n])
		f.log = f.log[n:]
		f.base += n
	}
	f.cond.Broadcast()
}

// atEnd waits until reader i may extend the log (it is not more than
// maxFanLag ops ahead of the slowest live reader). The underlying source
// runs without the reader's context: a reader held back here by a slower
// one must not find its hop deadline expired.
func (f *fanOut) atEnd(i int) bool {
	for f.pos[i] == f.base+len(f.log) {
		if f.pos[i]-f.slowest() < maxFanLag {
			return true
		}
		f.cond.Wait()
	}
	return false
}

func (f *fanOut) tune(i int, freqHz float64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.atEnd(i) {
		if err := f.src.Tune(context.Background(), freqHz); err != nil {
			return err
		}
		f.log = append(f.log, fanOp{tune: true, freqHz: freqHz})
	} else if op := f.log[f.pos[i]-f.base]; !op.tune || op.freqHz != freqHz || f.off[i] != 0 {
		return fmt.Errorf("evaluate: fan-out reader %d diverged: tune to %.0f Hz where the shared stream has %s", i, freqHz, op)
	}
	f.pos[i]++
	f.trim()
	return nil
}

func (f *fanOut) read(i int, p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.atEnd(i) {
		buf := make([]byte, len(p))
		n, err := f.src.Read(context.Background(), buf)
		if n == 0 {
			return 0, err
		}
		f.log = append(f.log, fanOp{data: buf[:n]})
	}
	op := f.log[f.pos[i]-f.base]
	if op.tune {
		return 0, fmt.Errorf("evaluate: fan-out reader %d diverged: read where the shared stream has %s", i, op)
	}
	n := copy(p, op.data[f.off[i]:])
	f.off[i] += n
	if f.off[i] == len(op.data) {
		f.pos[i]++
		f.off[i] = 0
		f.trim()
	}
	return n, nil
}

func (op fanOp) String() string {
	if op.tune {
		return fmt.Sprintf("a tune to %.0f Hz", op.freqHz)
	}
	return fmt.Sprintf("a read of %d bytes", len(op.data))
}

// fanReader is reader i of a fanOut. Close releases it: the others no
// longer wait for it.
type fanReader struct {
	f *fanOut
	i int
}

func (r *fanReader) Name() string                                 { return r.f.src.Name() }
func (r *fanReader) Info() source.Info                            { return r.f.src.Info() }
func (r *fanReader) Tune(_ context.Context, freqHz float64) error { return r.f.tune(r.i, freqHz) }
func (r *fanReader) Read(_ context.Context, p []byte) (int, error) {
	return r.f.read(r.i, p)
}
func (r *fanReader) Close() error {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.f.done[r.i] = true
	r.f.trim()
	return nil
}
