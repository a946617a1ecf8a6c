package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInput: each mistake is one line on stderr naming the problem, a
// non-zero exit, and no panic.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	truncated := write("cap_882.4M_2.4M_.cs16", make([]byte, 4*5000+3))
	plain := write("capture.bin", make([]byte, 4096))
	orphanMeta := write("lost.sigmf-meta", []byte(`{"global":{"core:datatype":"cu8","core:sample_rate":2400000,"core:version":"1.2.0"},"captures":[],"annotations":[]}`))
	typo := write("typo.yaml", []byte("plan: eu\ndetect:\n  dwel: 25ms\n"))
	badRate := write("rate.yaml", []byte("sources:\n  - {name: sim0, kind: sim, scene: corridor-small, sample_rate: 3300000}\n"))
	cases := []struct {
		name string
		args []string
		rc   int
		want []string // substrings of the one line
	}{
		{"truncated file", []string{"replay", truncated}, exitError, []string{"cap_882.4M_2.4M_.cs16", "truncated", "3 trailing bytes"}},
		{"wrong format flag", []string{"replay", "--format=cu9", plain}, exitUsage, []string{"--format", `"cu9"`}},
		{"no sample rate", []string{"replay", "--format=cu8", plain}, exitError, []string{"capture.bin", "sample rate"}},
		{"SigMF meta pointing nowhere", []string{"replay", orphanMeta}, exitError, []string{"lost.sigmf-meta", "lost.sigmf-data", "no such file"}},
		{"missing file", []string{"replay", filepath.Join(dir, "absent.cu8")}, exitError, []string{"absent.cu8"}},
		{"config typo", []string{"config", "check", typo}, exitError, []string{"typo.yaml", `"detect.dwel"`}},
		{"run with config typo", []string{"run", "--config.file=" + typo}, exitError, []string{"typo.yaml", `"detect.dwel"`}},
		{"sample rate librtlsdr refuses", []string{"config", "check", badRate}, exitError, []string{"sources[0].sample_rate", "3300000"}},
		{"negative duration", []string{"run", "--run.duration=-1s"}, exitUsage, []string{"--run.duration"}},
		{"unknown command", []string{"frobnicate"}, exitUsage, []string{"frobnicate"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			rc := run(c.args, &out, &errb)
			if rc != c.rc {
				t.Errorf("exit %d, want %d (stderr %q)", rc, c.rc, errb.String())
			}
			msg := strings.TrimRight(errb.String(), "\n")
			if strings.Count(msg, "\n") != 0 {
				t.Errorf("want one line, got:\n%s", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not name %q", msg, w)
				}
			}
		})
	}
}

// TestTruncatedKeepsDetections: what was read before the truncation is
// still reported.
func TestTruncatedKeepsDetections(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(recordings, "enclustra-gsm-ul-4bursts.sigmf-data"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "gsm.cf32")
	if err := os.WriteFile(p, append(data, 1, 2, 3), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, stderr, rc := replayJSON(t, "--sample-rate=1083333.333", p)
	if rc != exitError || !strings.Contains(stderr, "truncated") {
		t.Errorf("exit %d, stderr %q: want a truncation error", rc, stderr)
	}
	if len(recs) != 1 || recs[0].Bursts != 4 {
		t.Errorf("detections before the truncation lost: %+v", recs)
	}
}
