package source

import (
	"context"
	"time"
)

// Paced delivers a source's samples no faster than its sample rate, as a
// dongle would: for replaying a recording through the daemon in real time.
type Paced struct {
	Source
	start time.Time
	n     int64 // samples delivered
}

// NewPaced wraps src.
func NewPaced(src Source) *Paced { return &Paced{Source: src} }

// Read waits until the wall clock has caught up with the samples already
// delivered, then reads.
func (p *Paced) Read(ctx context.Context, b []byte) (int, error) {
	info := p.Info()
	if p.start.IsZero() {
		p.start = time.Now()
	}
	due := p.start.Add(time.Duration(float64(p.n) / info.SampleRate * float64(time.Second)))
	if wait := time.Until(due); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		case <-t.C:
		}
	}
	n, err := p.Source.Read(ctx, b)
	p.n += int64(n / info.Format.BytesPerSample())
	return n, err
}
