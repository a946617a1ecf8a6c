package source

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellwatch/cellwatch/pkg/iq"
)

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/256)
	}
	return b
}

// readAll reads s to the end with buffers of the given sizes in turn and
// returns the bytes and the final error (io.EOF or another).
func readAll(t *testing.T, s *File, sizes []int) ([]byte, error) {
	t.Helper()
	ctx := context.Background()
	var out []byte
	for i := 0; ; i++ {
		p := make([]byte, sizes[i%len(sizes)])
		n, err := s.Read(ctx, p)
		if n%s.Info().Format.BytesPerSample() != 0 {
			t.Fatalf("Read returned %d bytes: not whole %v samples", n, s.Info().Format)
		}
		out = append(out, p[:n]...)
		if got := s.Position(); got != int64(len(out)/s.Info().Format.BytesPerSample()) {
			t.Fatalf("Position = %d after %d bytes", got, len(out))
		}
		if err != nil {
			return out, err
		}
		if i > 1e6 {
			t.Fatal("no end")
		}
	}
}

func TestFileReadsEverythingInOddChunks(t *testing.T) {
	dir := t.TempDir()
	data := pattern(4 * 1001)
	path := writeFile(t, filepath.Join(dir, "g001_882.4M_2.4M.cs16"), data)
	s, err := OpenFile(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := Info{Format: iq.CS16, SampleRate: 2.4e6, CenterFreq: 882.4e6}
	if s.Info() != want {
		t.Errorf("Info = %+v, want %+v", s.Info(), want)
	}
	if s.TotalSamples() != 1001 || s.Position() != 0 || s.Path() != path || s.Name() != "g001_882.4M_2.4M.cs16" {
		t.Errorf("TotalSamples %d Position %d Path %q Name %q", s.TotalSamples(), s.Position(), s.Path(), s.Name())
	}
	got, err := readAll(t, s, []int{7, 13, 4, 1023, 5, 4097})
	if err != io.EOF {
		t.Fatalf("end error = %v, want io.EOF", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, not the %d written", len(got), len(data))
	}
	if n, err := s.Read(context.Background(), make([]byte, 64)); n != 0 || err != io.EOF {
		t.Errorf("Read after end = %d, %v", n, err)
	}
}

func TestFileShortBufferAndContext(t *testing.T) {
	path := writeFile(t, filepath.Join(t.TempDir(), "c.cf32"), pattern(80))
	s, err := OpenFile(path, FileOptions{SampleRate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Read(context.Background(), make([]byte, 7)); !errors.Is(err, io.ErrShortBuffer) {
		t.Errorf("7-byte buffer for cf32: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Read(ctx, make([]byte, 8)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
	if s.Position() != 0 {
		t.Errorf("Position = %d", s.Position())
	}
	s.Close()
	if _, err := s.Read(context.Background(), make([]byte, 8)); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestFileTruncated(t *testing.T) {
	dir := t.TempDir()
	data := pattern(4*25 + 3)
	path := writeFile(t, filepath.Join(dir, "capture.cs16"), data)
	s, err := OpenFile(path, FileOptions{SampleRate: 2.4e6})
	if err != nil {
		t.Fatalf("a truncated file must open: %v", err)
	}
	defer s.Close()
	if s.TotalSamples() != 25 {
		t.Errorf("TotalSamples = %d, want 25", s.TotalSamples())
	}
	got, err := readAll(t, s, []int{9, 33})
	if !bytes.Equal(got, data[:100]) {
		t.Errorf("read %d bytes, want the 100 whole-sample bytes", len(got))
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		t.Fatalf("end error = %v, want one wrapping io.ErrUnexpectedEOF", err)
	}
	want := path + ": truncated: 3 trailing bytes are not a whole cs16 sample (4 bytes)"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want prefix %q", err, want)
	}
	if _, err2 := s.Read(context.Background(), make([]byte, 8)); !errors.Is(err2, io.ErrUnexpectedEOF) {
		t.Errorf("second Read at end = %v", err2)
	}
}

func TestFileOpenErrors(t *testing.T) {
	dir := t.TempDir()
	empty := writeFile(t, filepath.Join(dir, "empty.cu8"), nil)
	bin := writeFile(t, filepath.Join(dir, "capture.bin"), pattern(16))
	noRate := writeFile(t, filepath.Join(dir, "capture.cu8"), pattern(16))
	orphanMeta := filepath.Join(dir, "x.sigmf-meta")
	writeFile(t, orphanMeta, []byte(`{"global": {"core:datatype": "cu8", "core:sample_rate": 2.4e6, "core:version": "1.2.0"}, "captures": [], "annotations": []}`))
	orphanData := writeFile(t, filepath.Join(dir, "y.sigmf-data"), pattern(16))
	badMeta := filepath.Join(dir, "bad.sigmf-meta")
	writeFile(t, badMeta, []byte(`{"global": {"core:datatype": "ci16_be", "core:sample_rate": 1e6}}`))
	writeFile(t, filepath.Join(dir, "bad.sigmf-data"), pattern(16))

	cases := []struct {
		name string
		path string
		o    FileOptions
		want string
		is   error
	}{
		{"missing", filepath.Join(dir, "nope.cu8"), FileOptions{SampleRate: 1}, "nope.cu8: no such file or directory", fs.ErrNotExist},
		{"directory", dir, FileOptions{Format: iq.CU8, SampleRate: 1}, ": is a directory", nil},
		{"empty", empty, FileOptions{SampleRate: 1}, "empty.cu8: empty file", nil},
		{"no format", bin, FileOptions{SampleRate: 1}, "capture.bin: unknown sample format: pass --format", nil},
		{"no rate", bin, FileOptions{Format: iq.CU8}, "capture.bin: unknown sample rate: pass --sample-rate or use a SigMF recording", nil},
		{"no rate from name", noRate, FileOptions{}, "capture.cu8: unknown sample rate", nil},
		{"sigmf data missing", orphanMeta, FileOptions{}, "x.sigmf-meta: data file " + filepath.Join(dir, "x.sigmf-data") + ": no such file or directory", fs.ErrNotExist},
		{"sigmf meta missing", orphanData, FileOptions{}, "y.sigmf-data: SigMF metadata " + filepath.Join(dir, "y.sigmf-meta") + ": no such file or directory", fs.ErrNotExist},
		{"sigmf meta invalid", badMeta, FileOptions{}, `bad.sigmf-meta: global core:datatype "ci16_be" is not supported (big-endian samples)`, nil},
		{"sigmf via data, meta invalid", filepath.Join(dir, "bad.sigmf-data"), FileOptions{}, `bad.sigmf-meta: global core:datatype "ci16_be"`, nil},
		{"bad option format", noRate, FileOptions{Format: iq.Format(42), SampleRate: 1}, "capture.cu8: invalid --format Format(42)", nil},
		{"bad option rate", noRate, FileOptions{SampleRate: -1}, "capture.cu8: invalid --sample-rate -1", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := OpenFile(c.path, c.o)
			if err == nil {
				s.Close()
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
				t.Errorf("error = %q, want one line containing %q", msg, c.want)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, c.is)
			}
		})
	}
}

func writeSigMF(t *testing.T, base string, m *iq.SigMF, data []byte) {
	t.Helper()
	if err := iq.WriteSigMF(base, m, data); err != nil {
		t.Fatal(err)
	}
}

func TestFileSigMF(t *testing.T) {
	dir := t.TempDir()
	// The name hints would say cf32 at 433.92 MHz, 250 kS/s: the meta wins.
	base := filepath.Join(dir, "x_433.92M_250k")
	data := pattern(2 * 300)
	meta := &iq.SigMF{
		Global:   iq.SigMFGlobal{Datatype: "cu8", SampleRate: 2.4e6},
		Captures: []iq.SigMFCapture{{Frequency: 882.4e6}},
	}
	writeSigMF(t, base, meta, data)
	want := Info{Format: iq.CU8, SampleRate: 2.4e6, CenterFreq: 882.4e6}
	for _, path := range []string{base + ".sigmf-meta", base + ".sigmf-data", base} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			s, err := OpenFile(path, FileOptions{Name: "replay"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Info() != want || s.Name() != "replay" || s.Path() != base+".sigmf-data" || s.Meta() == nil {
				t.Errorf("Info %+v Name %q Path %q Meta %v", s.Info(), s.Name(), s.Path(), s.Meta())
			}
			got, err := readAll(t, s, []int{3, 101})
			if err != io.EOF || !bytes.Equal(got, data) {
				t.Errorf("read %d bytes, %v", len(got), err)
			}
		})
	}

	// Options that agree with the metadata are fine.
	s, err := OpenFile(base+".sigmf-meta", FileOptions{Format: iq.CU8, SampleRate: 2400000, CenterFreq: 882.4e6})
	if err != nil {
		t.Fatalf("agreeing options: %v", err)
	}
	s.Close()
}

func TestFileSigMFContradictions(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "rec")
	writeSigMF(t, base, &iq.SigMF{
		Global:   iq.SigMFGlobal{Datatype: "ci16_le", SampleRate: 2.048e6},
		Captures: []iq.SigMFCapture{{Frequency: 1747.5e6}},
	}, pattern(40))
	meta := base + ".sigmf-meta"
	cases := []struct {
		o    FileOptions
		want string
	}{
		{FileOptions{Format: iq.CU8}, `rec.sigmf-meta: --format cu8 contradicts core:datatype "ci16_le" (cs16)`},
		{FileOptions{SampleRate: 2.4e6}, "rec.sigmf-meta: --sample-rate 2400000 contradicts core:sample_rate 2048000"},
		{FileOptions{CenterFreq: 1747.6e6}, "rec.sigmf-meta: --center-freq 1747600000 contradicts core:frequency 1747500000"},
	}
	for _, c := range cases {
		for _, path := range []string{meta, base + ".sigmf-data"} {
			s, err := OpenFile(path, c.o)
			if err == nil {
				s.Close()
				t.Errorf("%s %+v: no error", path, c.o)
				continue
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s %+v: error %q, want %q", path, c.o, err, c.want)
			}
		}
	}
}

func TestFileSigMFFrequencyFromOptions(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "bb")
	writeSigMF(t, base, &iq.SigMF{Global: iq.SigMFGlobal{Datatype: "cf32_le", SampleRate: 1e6}}, pattern(16))
	s, err := OpenFile(base+".sigmf-data", FileOptions{CenterFreq: 900e6})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Info().CenterFreq != 900e6 {
		t.Errorf("CenterFreq = %g, want the option's 900e6 (meta has none)", s.Info().CenterFreq)
	}

	base2 := filepath.Join(dir, "multi")
	writeSigMF(t, base2, &iq.SigMF{
		Global:   iq.SigMFGlobal{Datatype: "cu8", SampleRate: 1e6},
		Captures: []iq.SigMFCapture{{Frequency: 900e6}, {SampleStart: 2, Frequency: 910e6}},
	}, pattern(16))
	if s, err := OpenFile(base2+".sigmf-meta", FileOptions{}); err == nil {
		s.Close()
		t.Error("multi-frequency recording opened")
	} else if !strings.Contains(err.Error(), "multi.sigmf-meta: captures[1] core:frequency 910000000 differs") {
		t.Errorf("error = %v", err)
	}
}

func TestFileOptionsOverrideHints(t *testing.T) {
	path := writeFile(t, filepath.Join(t.TempDir(), "f796_s1.92_bw1.2_0.08s_rtlsdr.bin"), pattern(40))
	s, err := OpenFile(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Info{Format: iq.CU8, SampleRate: 1.92e6, CenterFreq: 796e6}); s.Info() != want {
		t.Errorf("from hints: %+v, want %+v", s.Info(), want)
	}
	s.Close()
	s, err = OpenFile(path, FileOptions{Format: iq.CS8, SampleRate: 2e6, CenterFreq: 800e6})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if want := (Info{Format: iq.CS8, SampleRate: 2e6, CenterFreq: 800e6}); s.Info() != want {
		t.Errorf("options: %+v, want %+v", s.Info(), want)
	}
}

func TestFileTune(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	tuned, err := OpenFile(writeFile(t, filepath.Join(dir, "x_882.4M_2.4M.cu8"), pattern(8)), FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tuned.Close()
	if tuned.Info().Tunable {
		t.Error("a recording reports Tunable")
	}
	if err := tuned.Tune(ctx, 882.4e6); err != nil {
		t.Errorf("Tune to own frequency: %v", err)
	}
	err = tuned.Tune(ctx, 900e6)
	if !errors.Is(err, ErrNotTunable) || !strings.Contains(err.Error(), "900000000") || !strings.Contains(err.Error(), "882400000") {
		t.Errorf("Tune elsewhere: %v", err)
	}

	bb, err := OpenFile(writeFile(t, filepath.Join(dir, "bb.cu8"), pattern(8)), FileOptions{SampleRate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	defer bb.Close()
	if err := bb.Tune(ctx, 0); err != nil {
		t.Errorf("Tune(0) on baseband recording: %v", err)
	}
	if err := bb.Tune(ctx, 900e6); !errors.Is(err, ErrNotTunable) || !strings.Contains(err.Error(), "unknown") {
		t.Errorf("Tune(900e6) on baseband recording: %v", err)
	}
}
