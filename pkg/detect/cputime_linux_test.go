package detect

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// cpuMeter reports throughput per CPU-second of the benchmark's own thread,
// which time-sharing with other processes on a busy machine does not dilute
// (wall-clock MS/s does).
type cpuMeter struct{ t0 time.Duration }

func threadCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// startCPU locks the benchmark goroutine to its thread and starts the meter.
func startCPU(b *testing.B) *cpuMeter {
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	return &cpuMeter{t0: threadCPU()}
}

// report adds MS/cpu-s for samples complex samples per iteration.
func (m *cpuMeter) report(b *testing.B, samples int) {
	b.ReportMetric(float64(samples)*float64(b.N)/b.Elapsed().Seconds()/1e6, "MS/s")
	if d := threadCPU() - m.t0; d > 0 {
		b.ReportMetric(float64(samples)*float64(b.N)/d.Seconds()/1e6, "MS/cpu-s")
	}
}
