// Package cputime measures throughput per CPU-second of the calling
// thread, which time-sharing with other processes on a busy machine does
// not dilute (wall-clock throughput is). Benchmarks and `cellwatch bench`
// use it.
package cputime

import (
	"runtime"
	"testing"
	"time"
)

// Meter reports a benchmark's throughput per CPU-second of its thread.
type Meter struct{ t0 time.Duration }

// Start locks the benchmark goroutine to its thread and starts the meter.
func Start(b *testing.B) *Meter {
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	return &Meter{t0: Thread()}
}

// Report adds MS/s (wall clock) and, where thread CPU time is known,
// MS/cpu-s, for samples complex samples per iteration.
func (m *Meter) Report(b *testing.B, samples int) {
	b.ReportMetric(float64(samples)*float64(b.N)/b.Elapsed().Seconds()/1e6, "MS/s")
	if d := Thread() - m.t0; d > 0 {
		b.ReportMetric(float64(samples)*float64(b.N)/d.Seconds()/1e6, "MS/cpu-s")
	}
}
