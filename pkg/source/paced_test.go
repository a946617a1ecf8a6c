package source

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/iq"
)

func TestPacedKeepsTheSampleRate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.cu8")
	if err := os.WriteFile(p, make([]byte, 2*3000), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(p, FileOptions{Format: iq.CU8, SampleRate: 10000})
	if err != nil {
		t.Fatal(err)
	}
	src := NewPaced(f)
	start := time.Now()
	buf := make([]byte, 2*1000)
	for i := 0; i < 3; i++ {
		if _, err := src.Read(context.Background(), buf); err != nil {
			t.Fatal(err)
		}
	}
	// 3000 samples at 10 kS/s: the third read returns at 300 ms.
	if el := time.Since(start); el < 290*time.Millisecond {
		t.Errorf("3000 samples at 10 kS/s delivered in %v", el)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Read(ctx, buf); err == nil {
		t.Error("a cancelled read waited or read")
	}
}
