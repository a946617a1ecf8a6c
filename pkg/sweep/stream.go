package sweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/cellwatch/cellwatch/pkg/bands"
	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/iq"
	"github.com/cellwatch/cellwatch/pkg/source"
)

// StreamConfig sets up the fixed-tune processing of a recording.
type StreamConfig struct {
	Plan              bands.Plan
	FalseAlarmsPerDay float64
	// Chunk is how much signal each grid covers (default 200 ms); Carry is
	// how much of its end is processed again with the next chunk so that a
	// burst cut by the chunk boundary is seen whole (default 12 ms: longer
	// than any handset burst shape).
	Chunk, Carry time.Duration
	// Gap closes an emission after this much quiet on its channel (0.5 s).
	Gap time.Duration
	// All also reports clutter (tech "clutter").
	All bool
	// Crop is the share of the recorded span left unsearched, half at each
	// edge (default 0.1): the edges sit in the recorder's anti-alias filter
	// roll-off, where the floor bends and images fold in.
	Crop float64
}

// Stream runs the detection core over a fixed-tune source until it ends,
// calling emit for each emission in the order they close and progress
// after each chunk with the samples processed so far. Emissions found
// before a read error are delivered before the error is returned.
func Stream(ctx context.Context, src source.Source, cfg StreamConfig, emit func(detect.Emission), progress func(samples int64)) error {
	info := src.Info()
	fs := info.SampleRate
	if !(fs > 0) {
		return fmt.Errorf("%s: unknown sample rate", src.Name())
	}
	if cfg.Chunk <= 0 {
		cfg.Chunk = 200 * time.Millisecond
	}
	if cfg.Carry <= 0 {
		cfg.Carry = 12 * time.Millisecond
	}
	if cfg.Gap <= 0 {
		cfg.Gap = 500 * time.Millisecond
	}
	if cfg.FalseAlarmsPerDay <= 0 {
		cfg.FalseAlarmsPerDay = 1
	}
	if cfg.Crop <= 0 || cfg.Crop >= 1 {
		cfg.Crop = 0.1
	}
	chunk := int(cfg.Chunk.Seconds() * fs)
	carry := int(cfg.Carry.Seconds() * fs)
	if sz, ok := src.(interface{ TotalSamples() int64 }); ok && sz.TotalSamples() < int64(chunk) {
		chunk = max(int(sz.TotalSamples()), 1) // a short recording needs no 200 ms buffers
	}
	c, err := newChain(info.Format, fs, chunk+carry, cfg.FalseAlarmsPerDay)
	if err != nil {
		return fmt.Errorf("%s: %w", src.Name(), err)
	}
	n, hop := c.stft.Size(), c.stft.Hop()
	carryFrames := (carry + hop - 1) / hop
	edge := int(math.Round(cfg.Crop / 2 * float64(n)))
	state := c.det.NewState()
	tr := detect.NewTracker(trackerConfig(cfg.Plan, cfg.Gap.Seconds()))
	var ems []detect.Emission
	deliver := func() {
		for _, e := range ems {
			if cfg.All || e.Tech != detect.Clutter {
				emit(e)
			}
		}
		ems = ems[:0]
	}
	bps := info.Format.BytesPerSample()
	// cu8, every RTL-SDR recording, is converted inside the FFT's first
	// pass: the samples stay bytes, carried over as bytes.
	cu8 := info.Format == iq.CU8
	var (
		have      int   // samples buffered in c.x
		base      int64 // stream index of c.x[0]
		done      int64 // samples read from the source
		continues bool
		readErr   error
	)
	for readErr == nil {
		// Fill the buffer.
		want := len(c.x) - have
		raw := c.raw[:want*bps]
		if cu8 {
			raw = c.raw[have*bps : len(c.x)*bps]
		}
		got := 0
		for got < len(raw) {
			m, err := src.Read(ctx, raw[got:])
			got += m
			if err != nil {
				readErr = err
				break
			}
			if m == 0 {
				break
			}
		}
		ns := got / bps
		if !cu8 {
			ns = c.conv.Convert(c.x[have:], raw[:got-got%bps])
		}
		have += ns
		done += int64(ns)
		last := readErr != nil
		if have < n {
			if base == 0 && last && errors.Is(readErr, io.EOF) {
				return fmt.Errorf("%s: %d samples is too short to analyse: one %d-point FFT frame at least", src.Name(), have, n)
			}
			break
		}
		if cu8 {
			c.stft.ComputeCU8(c.grid, c.raw[:have*bps])
		} else {
			c.stft.Compute(c.grid, c.x[:have])
		}
		frames := c.grid.Frames
		cut := frames
		if !last {
			cut = max(1, frames-carryFrames)
		}
		c.burst = c.det.Process(state, c.grid, detect.Frame{
			T0: float64(base) / fs, Centre: info.CenterFreq,
			Lo: edge, Hi: c.grid.Bins - edge, DeferFrom: cut, Continues: continues,
		}, c.burst[:0])
		for _, b := range c.burst {
			tr.Add(b)
		}
		keep := cut * hop
		if last {
			keep = have
		}
		if cu8 {
			copy(c.raw, c.raw[keep*bps:have*bps])
		} else {
			copy(c.x, c.x[keep:have])
		}
		have -= keep
		base += int64(keep)
		continues = true
		ems = tr.Flush(float64(base)/fs, ems)
		deliver()
		if progress != nil {
			progress(done)
		}
	}
	ems = tr.FlushAll(ems)
	deliver()
	if readErr != nil && !errors.Is(readErr, io.EOF) {
		return readErr
	}
	return nil
}
