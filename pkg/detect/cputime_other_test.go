//go:build !linux

package detect

import "testing"

// cpuMeter reports wall-clock throughput only: thread CPU time is read on
// Linux.
type cpuMeter struct{}

func startCPU(b *testing.B) *cpuMeter { return &cpuMeter{} }

func (m *cpuMeter) report(b *testing.B, samples int) {
	b.ReportMetric(float64(samples)*float64(b.N)/b.Elapsed().Seconds()/1e6, "MS/s")
}
