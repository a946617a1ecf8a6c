// Package source defines the one seam through which IQ samples enter
// cellwatch, and its implementations: file recordings, the simulator, and
// (in later packages) rtl_tcp and librtlsdr.
package source

import (
	"context"
	"errors"

	"github.com/cellwatch/cellwatch/pkg/iq"
)

// Info describes the stream a Source delivers.
type Info struct {
	Format     iq.Format
	SampleRate float64 // complex samples per second
	CenterFreq float64 // Hz at the current tune; 0 when unknown (baseband recording)
	// Tunable is false for recordings: they have one fixed tune.
	Tunable bool
	// MinFreq and MaxFreq bound what Tune accepts (Hz); zero when not tunable.
	MinFreq, MaxFreq float64
}

// Source delivers raw IQ samples from one receiver.
//
// Read returns whole samples in Info().Format; a finite source returns io.EOF
// after its last sample. Tune retunes; the samples Read returns afterwards
// come from the new frequency, except for the receiver's own settling, which
// the sweeper discards (it knows the settle time, the source does not).
type Source interface {
	Name() string
	Info() Info
	Tune(ctx context.Context, freqHz float64) error
	Read(ctx context.Context, p []byte) (int, error)
	Close() error
}

// ErrNotTunable is returned by Tune on a source with a fixed frequency.
var ErrNotTunable = errors.New("source has a fixed frequency and cannot be retuned")

// Calibrated is implemented by sources that know the input power (dBm at
// the antenna port) that reaches digital full scale, so levels in dBFS can
// be reported in dBm.
type Calibrated interface {
	FullScaleDBm() float64
}

// HealthStats are a receiver's own counters, cumulative since it opened.
type HealthStats struct {
	Reconnects uint64 // transparent reconnections (rtl_tcp)
	Dropped    uint64 // samples lost: short reads, server-side drops, reconnect gaps
	Down       bool   // the link is down now (reconnecting)
}

// Health is implemented by sources that count their own losses.
type Health interface {
	Health() HealthStats
}
