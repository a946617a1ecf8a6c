//go:build !linux

package cputime

import "time"

// Thread is 0 outside Linux: only wall-clock throughput is reported.
func Thread() time.Duration { return 0 }
