package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellwatch/cellwatch/pkg/config"
)

func TestBenchDispatch(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := run([]string{"bench"}, &out, &errb); rc != exitUsage || !strings.Contains(errb.String(), "dsp") {
		t.Errorf("bench with no sub-command: rc %d, stderr %q", rc, errb.String())
	}
	errb.Reset()
	if rc := run([]string{"bench", "nosuch"}, &out, &errb); rc != exitUsage || !strings.Contains(errb.String(), `unknown sub-command "nosuch"`) {
		t.Errorf("unknown sub-command: rc %d, stderr %q", rc, errb.String())
	}
	out.Reset()
	if rc := run([]string{"bench", "--help"}, &out, &errb); rc != exitOK || !strings.Contains(out.String(), "dsp ") {
		t.Errorf("bench --help: rc %d, stdout %q", rc, out.String())
	}
	for _, args := range [][]string{
		{"bench", "dsp", "--reps", "0"},
		{"bench", "dsp", "--seconds", "0"},
		{"bench", "dsp", "--file", "x.cu8", "--overlap", "25"},
		{"bench", "dsp", "--file", "x.cu8", "--n", "1000"},
		{"bench", "dsp", "extra"},
	} {
		errb.Reset()
		if rc := run(args, &out, &errb); rc != exitUsage || errb.Len() == 0 {
			t.Errorf("%v: rc %d, stderr %q; want a usage error", args, rc, errb.String())
		}
	}
}

// The JSON report covers the four stages, allocates nothing per hop, and
// prices one dongle from the measured speed and the sweep's duty cycle.
func TestBenchDSPJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the DSP benchmark takes a few seconds under the race detector")
	}
	var out, errb bytes.Buffer
	if rc := run([]string{"bench", "dsp", "--json", "--seconds", "0.2", "--reps", "1"}, &out, &errb); rc != exitOK {
		t.Fatalf("rc %d: %s", rc, errb.String())
	}
	var rep benchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	if len(rep.Results) != 4 {
		t.Fatalf("%d results, want 4", len(rep.Results))
	}
	for _, r := range rep.Results {
		if !(r.MSpsPerCore > 0) || r.AllocsPerHop != 0 {
			t.Errorf("%s N=%d: %g MS/s, %g allocs per hop", r.Stage, r.FFTSize, r.MSpsPerCore, r.AllocsPerHop)
		}
	}
	d := rep.Dongle
	def := config.Default().Detect
	duty := def.Dwell.Seconds() / (def.Dwell + def.Settle).Seconds()
	full := rep.Results[3].MSpsPerCore
	if want := 2.4 * duty / full; math.Abs(d.CoreShare-want) > 1e-9*want || math.Abs(d.Duty-duty) > 1e-12 {
		t.Errorf("dongle %+v: want duty %g and core fraction %g", d, duty, want)
	}
}

// Reference mode writes the reference's spectra file format and accepts
// its own spectra but not a changed one.
func TestBenchDSPReferenceMode(t *testing.T) {
	dir := t.TempDir()
	raw := make([]byte, 2*5000)
	for i := range raw {
		raw[i] = byte(127 + (i*37)%41 - 20)
	}
	file := filepath.Join(dir, "iq.cu8")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "spec.f32")
	var out, errb bytes.Buffer
	args := []string{"bench", "dsp", "--file", file, "--n", "64", "--hop", "1000", "--reps", "1"}
	if rc := run(append(args, "--write-spectra", spec), &out, &errb); rc != exitOK {
		t.Fatalf("rc %d: %s", rc, errb.String())
	}
	if !strings.Contains(out.String(), "N=64 overlap=0 hops=5 frames/hop=15 ") {
		t.Errorf("report %q", out.String())
	}
	b, err := os.ReadFile(spec)
	if err != nil || len(b) != 4*5*64 {
		t.Fatalf("spectra file: %d bytes, %v; want %d", len(b), err, 4*5*64)
	}
	out.Reset()
	if rc := run(append(args, "--compare", spec), &out, &errb); rc != exitOK || !strings.Contains(out.String(), "max_rel_diff=0 ") {
		t.Errorf("self-compare: rc %d, %q %q", rc, out.String(), errb.String())
	}
	v := math.Float32frombits(binary.LittleEndian.Uint32(b[4*70:]))
	binary.LittleEndian.PutUint32(b[4*70:], math.Float32bits(v*1.001))
	if err := os.WriteFile(spec, b, 0o644); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	if rc := run(append(args, "--compare", spec), &out, &errb); rc != exitError || !strings.Contains(errb.String(), "hop 1 bin 6") {
		t.Errorf("changed bin: rc %d, stderr %q", rc, errb.String())
	}
}
