package source

import (
	"context"
	"time"
)

// Paced delivers a source's samples no faster than its sample rate, as a
// dongle would (a read returns once its last sample would have been
// captured): for replaying a recording through the daemon in real time.
type Paced struct {
	Source
	start time.Time
	n     int64 // samples delivered
}

// NewPaced wraps src.
func NewPaced(src Source) *Paced { return &Paced{Source: src} }

// Read waits until the samples it asks for are due, then reads.
func (p *Paced) Read(ctx context.Context, b []byte) (int, error) {
	info := p.Info()
	bps := info.Format.BytesPerSample()
	if p.start.IsZero() {
		p.start = time.Now()
	}
	end := p.n + int64(len(b)/bps)
	if err := waitUntil(ctx, p.start.Add(time.Duration(float64(end)/info.SampleRate*float64(time.Second)))); err != nil {
		return 0, err
	}
	n, err := p.Source.Read(ctx, b)
	p.n += int64(n / bps)
	return n, err
}

// waitUntil sleeps until t, or returns ctx's error if ctx ends first.
func waitUntil(ctx context.Context, t time.Time) error {
	wait := time.Until(t)
	if wait <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(wait)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
