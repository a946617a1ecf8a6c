package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// corpus is ../shared/data: real recordings whose AGPL licence keeps them
// out of this repository. scripts/test.sh sets CELLWATCH_CORPUS.
func corpus(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CELLWATCH_CORPUS")
	if dir == "" {
		t.Skip("CELLWATCH_CORPUS is not set: the corpus of real recordings (../shared/data) is not available; scripts/test.sh sets it")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("CELLWATCH_CORPUS: %v", err)
	}
	return dir
}

// TestCorpusNoHandset: noise and base-station recordings hold no handset.
func TestCorpusNoHandset(t *testing.T) {
	dir := corpus(t)
	files := []struct {
		path  string
		flags []string
	}{
		{"lte-b20-rtlsdr/f826_s1.92_bw1.2_0.08s_rtlsdr.bin", nil}, // RTL-SDR noise in the B20 duplex gap
		{"lte-b20-rtlsdr/f796_s1.92_bw1.2_0.08s_rtlsdr.bin", nil},
		{"lte-b20-rtlsdr/f801_s1.92_bw1.2_0.08s_rtlsdr.bin", nil},
		{"lte-b20-rtlsdr/f806_s1.92_bw1.2_0.08s_rtlsdr.bin", nil},
		{"lte-b20-rtlsdr/f811_s1.92_bw1.2_0.08s_rtlsdr.bin", nil},
		{"lte-b20-rtlsdr/f816_s1.92_bw1.2_0.08s_rtlsdr.bin", nil},
		{"lte-b20-rtlsdr/f821_s1.92_bw1.2_0.08s_rtlsdr.bin", nil},
		{"lte-b3-rtlsdr/f1815.3_s1.92_bw1.2_0.08s_rtlsdr.bin", nil},
		{"lte-b3-rtlsdr/f1815_s1.92_from_dimitri_rtlsdr.bin", nil},
		{"lte-b3-rtlsdr/f1860_s1.92_g0_1s_rtlsdr.bin", nil},
		{"gsmsp-dl-2007/GSMSP_20070204_robert_dbsrx_937MHz_16.cfile", []string{"--sample-rate=4e6"}},
		{"gsmsp-dl-2007/GSMSP_20070204_robert_dbsrx_941MHz_16.cfile", []string{"--sample-rate=4e6"}},
		{"gsmsp-dl-2007/GSMSP_20070204_robert_dbsrx_941.0MHz_128.cfile", []string{"--sample-rate=5e5"}},
		{"gsmsp-dl-2007/GSMSP_20070204_robert_dbsrx_953.6MHz_64.cfile", []string{"--sample-rate=1e6"}},
		{"gsmsp-dl-2007/GSMSP_20070204_robert_dbsrx_953.6MHz_128.cfile", []string{"--sample-rate=5e5"}},
	}
	for _, f := range files {
		t.Run(filepath.Base(f.path), func(t *testing.T) {
			recs, stderr, rc := replayJSON(t, append(f.flags, filepath.Join(dir, f.path))...)
			if rc != 0 {
				t.Fatalf("exit %d: %s", rc, stderr)
			}
			wantNone(t, recs)
		})
	}
}

// TestCorpusLTEUplink: the full UE captures are LTE, burst for burst.
func TestCorpusLTEUplink(t *testing.T) {
	dir := corpus(t)
	for _, name := range []string{"bintest_uplinkPHY_real_samples2.infile", "bintest_uplinkPHY_real_samples3.infile"} {
		t.Run(name, func(t *testing.T) {
			recs, stderr, rc := replayJSON(t, "--format=cs16", "--sample-rate="+strconv.Itoa(30720000), filepath.Join(dir, "otp4lteu-lte-uplink", name))
			if rc != 0 {
				t.Fatalf("exit %d: %s", rc, stderr)
			}
			wantOnly("lte")(t, recs)
		})
	}
}
