package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of the replay tests")

const recordings = "../../testdata/recordings"

// replayJSON runs `cellwatch replay --json` in-process.
func replayJSON(t *testing.T, args ...string) ([]emissionRecord, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	rc := run(append([]string{"replay", "--json"}, args...), &out, &errb)
	var recs []emissionRecord
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var r emissionRecord
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs, errb.String(), rc
}

func countTech(recs []emissionRecord, tech string) (n, bursts int) {
	for _, r := range recs {
		if r.Tech == tech {
			n++
			bursts += r.Bursts
		}
	}
	return n, bursts
}

// TestReplayRecordings checks what the issue asks of the real recordings
// and pins the exact output in golden files (go test -update rewrites them).
func TestReplayRecordings(t *testing.T) {
	cases := []struct {
		name  string
		check func(t *testing.T, recs []emissionRecord)
	}{
		{"enclustra-gsm-ul-4bursts", func(t *testing.T, recs []emissionRecord) {
			if len(recs) != 1 || recs[0].Tech != "gsm" || recs[0].Bursts != 4 {
				t.Fatalf("want one GSM emission of 4 bursts, got %+v", recs)
			}
			if bw := recs[0].BandwidthHz; bw < 140e3 || bw > 260e3 {
				t.Errorf("GSM bandwidth %d Hz, want ~200 kHz", bw)
			}
			if d := recs[0].EndS - recs[0].StartS; d < 13.8e-3 || d > 14.8e-3 {
				t.Errorf("4 bursts one TDMA frame apart should span 3×4.615 ms + 0.577 ms, got %.4f s", d)
			}
		}},
		{"otp4lteu-ue-14ms", wantOnly("lte")},
		{"otp4lteu-pusch-1ms", wantOnly("lte")},
		{"otp4lteu-prach", func(t *testing.T, recs []emissionRecord) {
			wantOnly("lte")(t, recs)
			best := recs[0]
			for _, r := range recs {
				if r.SNRdB > best.SNRdB {
					best = r
				}
			}
			if bw := best.BandwidthHz; bw < 0.95e6 || bw > 1.15e6 {
				t.Errorf("PRACH bandwidth %d Hz, want 1.05 MHz (839 × 1.25 kHz)", bw)
			}
		}},
		{"gsmsp-dl-937MHz", wantNone},
		{"gsmsp-dl-953.6MHz", wantNone},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, stderr, rc := replayJSON(t, filepath.Join(recordings, c.name+".sigmf-meta"))
			if rc != 0 {
				t.Fatalf("exit %d: %s", rc, stderr)
			}
			c.check(t, recs)
			golden(t, c.name, recs)
		})
	}
}

func wantOnly(tech string) func(*testing.T, []emissionRecord) {
	return func(t *testing.T, recs []emissionRecord) {
		t.Helper()
		if n, _ := countTech(recs, tech); n == 0 || n != len(recs) {
			t.Fatalf("want only %s emissions, got %+v", tech, recs)
		}
	}
}

func wantNone(t *testing.T, recs []emissionRecord) {
	t.Helper()
	if len(recs) != 0 {
		t.Fatalf("a downlink recording holds no handset, got %+v", recs)
	}
}

func golden(t *testing.T, name string, recs []emissionRecord) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join("../../testdata/golden", name+".jsonl")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test ./cmd/cellwatch -update to create it)", err)
	}
	if !bytes.Equal(want, b.Bytes()) {
		t.Errorf("output differs from %s:\n got: %s\nwant: %s", path, b.String(), want)
	}
}
