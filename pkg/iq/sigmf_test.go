package iq

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func testMeta() *SigMF {
	return &SigMF{
		Global: SigMFGlobal{
			Datatype:    "cu8",
			SampleRate:  2.4e6,
			Description: "B8 uplink, cell block C",
			HW:          "RTL-SDR Blog V4",
			Recorder:    "cellwatch",
			Author:      "test",
			Extra:       map[string]json.RawMessage{"core:sha512": json.RawMessage(`"abc"`)},
		},
		Captures: []SigMFCapture{{
			SampleStart: 0,
			Frequency:   882.4e6,
			Datetime:    time.Date(2025, 3, 4, 5, 6, 7, 800_000_000, time.FixedZone("CET", 3600)),
		}},
		Annotations: []SigMFAnnotation{{
			SampleStart:   10,
			SampleCount:   20,
			FreqLowerEdge: 882.3e6,
			FreqUpperEdge: 882.5e6,
			Label:         "gsm-ul-burst",
			Comment:       "4 bursts",
			Generator:     "cellwatch/detect",
			UUID:          "0190f3c2-7b9e-7a1c-9a7e-3f1d2c4b5a69",
			Extra:         map[string]json.RawMessage{"cellwatch:snr_db": json.RawMessage(`21.5`)},
		}},
	}
}

func TestWriteReadSigMFRoundTrip(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "rec")
	data := []byte{1, 2, 3, 4, 5, 6}
	in := testMeta()
	if err := WriteSigMF(base, in, data); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(base + SigMFDataExt)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("data file = %v, %v; want %v", got, err, data)
	}
	out, err := ReadSigMFMeta(base + SigMFMetaExt)
	if err != nil {
		t.Fatal(err)
	}
	if out.Global.Version != SigMFVersion {
		t.Errorf("core:version = %q, want %q", out.Global.Version, SigMFVersion)
	}
	if f, err := out.Format(); f != CU8 || err != nil {
		t.Errorf("Format() = %v, %v", f, err)
	}
	if out.SampleRate() != 2.4e6 || out.CenterFreq() != 882.4e6 {
		t.Errorf("SampleRate, CenterFreq = %g, %g", out.SampleRate(), out.CenterFreq())
	}
	if !out.Captures[0].Datetime.Equal(in.Captures[0].Datetime) || out.Captures[0].Datetime.Location() != time.UTC {
		t.Errorf("datetime = %v, want %v in UTC", out.Captures[0].Datetime, in.Captures[0].Datetime)
	}
	want := *in
	want.Global.Version = SigMFVersion
	want.Captures = []SigMFCapture{in.Captures[0]}
	want.Captures[0].Datetime = out.Captures[0].Datetime
	if !reflect.DeepEqual(out, &want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, &want)
	}
	if in.Global.Version != "" || in.Captures[0].Datetime.Location() == time.UTC {
		t.Error("WriteSigMF modified its argument")
	}

	raw, _ := os.ReadFile(base + SigMFMetaExt)
	for _, s := range []string{`"core:datatype": "cu8"`, `"core:datetime": "2025-03-04T04:06:07.8Z"`, `"core:sha512": "abc"`, `"cellwatch:snr_db": 21.5`, `"core:uuid"`} {
		if !bytes.Contains(raw, []byte(s)) {
			t.Errorf("meta file lacks %s:\n%s", s, raw)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("dir has %d entries, want 2 (no temp files left)", len(entries))
	}
}

func TestWriteSigMFMinimal(t *testing.T) {
	base := filepath.Join(t.TempDir(), "min.sigmf-meta") // suffix is dropped
	m := &SigMF{Global: SigMFGlobal{Datatype: "ci16_le", SampleRate: 1e6}}
	if err := WriteSigMF(base, m, make([]byte, 8)); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(base), "min.sigmf-meta"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"captures": []`, `"annotations": []`, `"core:version": "1.2.0"`} {
		if !bytes.Contains(raw, []byte(s)) {
			t.Errorf("meta lacks %s:\n%s", s, raw)
		}
	}
	if bytes.Contains(raw, []byte("core:frequency")) || bytes.Contains(raw, []byte("core:datetime")) {
		t.Errorf("empty optional fields written:\n%s", raw)
	}
}

func TestWriteSigMFRefuses(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		meta *SigMF
		data []byte
		want string
	}{
		{"partial", &SigMF{Global: SigMFGlobal{Datatype: "ci16_le", SampleRate: 1e6}}, make([]byte, 6), "p.sigmf-data: 6 bytes is not a whole number of cs16 samples (4 bytes each)"},
		{"norate", &SigMF{Global: SigMFGlobal{Datatype: "cu8"}}, make([]byte, 2), "n.sigmf-meta: global core:sample_rate is missing"},
		{"badtype", &SigMF{Global: SigMFGlobal{Datatype: "cf64_le", SampleRate: 1}}, make([]byte, 16), `b.sigmf-meta: global core:datatype "cf64_le" is not supported`},
		{"nil", nil, nil, "x.sigmf-meta: no metadata"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := filepath.Join(dir, c.want[:1])
			err := WriteSigMF(base, c.meta, c.data)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("refused writes left files: %v", names)
	}
}

func TestSigMFWriterStreamingAndAbort(t *testing.T) {
	dir := t.TempDir()
	m := &SigMF{Global: SigMFGlobal{Datatype: "cf32_le", SampleRate: 1e6}}
	w, err := CreateSigMF(filepath.Join(dir, "s"), m)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]byte, 8))
	if _, err := os.Stat(filepath.Join(dir, "s.sigmf-data")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("data file visible before Commit: %v", err)
	}
	w.Write(make([]byte, 16))
	m.Annotations = append(m.Annotations, SigMFAnnotation{SampleStart: 1, Label: "late"})
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err == nil {
		t.Error("second Commit succeeded")
	}
	got, err := ReadSigMFMeta(filepath.Join(dir, "s.sigmf-meta"))
	if err != nil || len(got.Annotations) != 1 || got.Annotations[0].Label != "late" {
		t.Errorf("meta = %+v, %v", got, err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "s.sigmf-data")); st.Size() != 24 {
		t.Errorf("data size = %d", st.Size())
	}

	w, err = CreateSigMF(filepath.Join(dir, "a"), m)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]byte, 8))
	w.Abort()
	if err := w.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("after Abort dir has %d entries, want the 2 of s", len(entries))
	}
}

func TestReadSigMFMetaErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, meta string
		want       []string
	}{
		{"nodatatype", `{"global": {"core:sample_rate": 1e6, "core:version": "1.2.0"}, "captures": []}`,
			[]string{"nodatatype.sigmf-meta: global core:datatype is missing"}},
		{"be", `{"global": {"core:datatype": "ci16_be", "core:sample_rate": 1e6}}`,
			[]string{`be.sigmf-meta: global core:datatype "ci16_be" is not supported (big-endian samples); supported: cu8, ci8, ci16_le and cf32_le`}},
		{"real", `{"global": {"core:datatype": "ru8", "core:sample_rate": 1e6}}`,
			[]string{`real.sigmf-meta: global core:datatype "ru8"`, "real (not complex I/Q)", "supported: cu8, ci8"}},
		{"ci32", `{"global": {"core:datatype": "ci32_le", "core:sample_rate": 1e6}}`,
			[]string{`ci32.sigmf-meta: global core:datatype "ci32_le" is not supported (sample type i32)`, "supported: cu8"}},
		{"cf64", `{"global": {"core:datatype": "cf64_le", "core:sample_rate": 1e6}}`,
			[]string{`"cf64_le" is not supported (sample type f64)`}},
		{"notsigmf", `{"global": {"core:datatype": "cs16", "core:sample_rate": 1e6}}`,
			[]string{`notsigmf.sigmf-meta: global core:datatype "cs16" is not a SigMF datatype (did you mean "ci16_le"?)`}},
		{"norate", `{"global": {"core:datatype": "cu8"}}`,
			[]string{"norate.sigmf-meta: global core:sample_rate is missing"}},
		{"zerorate", `{"global": {"core:datatype": "cu8", "core:sample_rate": 0}}`,
			[]string{"zerorate.sigmf-meta: global core:sample_rate is missing (or 0)"}},
		{"negrate", `{"global": {"core:datatype": "cu8", "core:sample_rate": -2.4e6}}`,
			[]string{"negrate.sigmf-meta: global core:sample_rate is -2.4e+06, must be > 0"}},
		{"syntax", "{\n  \"global\": {\n    \"core:datatype\": \"cu8\",,\n  }\n}",
			[]string{"syntax.sigmf-meta:3:29: invalid JSON: invalid character ','"}},
		{"type", "{\"global\": {\n\"core:datatype\": \"cu8\",\n\"core:sample_rate\": \"2.4M\"}}",
			[]string{"type.sigmf-meta:3:", "global.core:sample_rate is a JSON string, want number"}},
		{"capturetype", `{"global": {"core:datatype": "cu8", "core:sample_rate": 1}, "captures": [{"core:sample_start": -1}]}`,
			[]string{"capturetype.sigmf-meta:1:", "captures.core:sample_start is a JSON number -1, want non-negative integer"}},
		{"datetime", `{"global": {"core:datatype": "cu8", "core:sample_rate": 1}, "captures": [{"core:sample_start": 0, "core:datetime": "yesterday"}]}`,
			[]string{`datetime.sigmf-meta: captures: core:datetime "yesterday" is not an RFC 3339 time`}},
		{"empty", "", []string{"empty.sigmf-meta: invalid JSON: the file is empty"}},
		{"cut", `{"global": {"core:datatype": "cu8"`, []string{"cut.sigmf-meta: invalid JSON: the file ends in the middle"}},
		{"array", `[1, 2]`, []string{"array.sigmf-meta: not SigMF metadata: the top level is not a JSON object"}},
		{"noglobal", `{"captures": []}`, []string{`noglobal.sigmf-meta: the "global" object is missing`}},
		{"trailing", "{\"global\": {}}\n{}", []string{"trailing.sigmf-meta:2:1: invalid JSON: more data after the top-level object"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".sigmf-meta")
			if err := os.WriteFile(path, []byte(c.meta), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadSigMFMeta(path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("multi-line error %q", msg)
			}
			if !strings.HasPrefix(msg, path) {
				t.Errorf("error %q does not start with the file name", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}

	_, err := ReadSigMFMeta(filepath.Join(dir, "missing.sigmf-meta"))
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.HasSuffix(err.Error(), "missing.sigmf-meta: no such file or directory") {
		t.Errorf("missing file: %v", err)
	}
}

func TestSigMFFormat(t *testing.T) {
	ok := map[string]Format{"cu8": CU8, "cu8_le": CU8, "cu8_be": CU8, "ci8": CS8, "ci16_le": CS16, "ci16": CS16, "cf32_le": CF32, "cf32": CF32}
	for dt, want := range ok {
		if got, err := SigMFFormat(dt); got != want || err != nil {
			t.Errorf("SigMFFormat(%q) = %v, %v; want %v", dt, got, err, want)
		}
	}
	for _, dt := range []string{"", "cf32_be", "ci16_be", "rf32_le", "ri8", "ci32_le", "cu16_le", "cf64_le", "CU8", "cu8 ", "iq"} {
		if f, err := SigMFFormat(dt); err == nil {
			t.Errorf("SigMFFormat(%q) = %v, want an error", dt, f)
		}
	}
	// Every Format's own SigMF datatype maps back to it.
	for _, f := range []Format{CU8, CS8, CS16, CF32} {
		if got, err := SigMFFormat(f.SigMFDatatype()); got != f || err != nil {
			t.Errorf("%v: %v, %v", f, got, err)
		}
	}
}

func TestSigMFCenterFreqNoCaptures(t *testing.T) {
	m := &SigMF{}
	if m.CenterFreq() != 0 {
		t.Error("CenterFreq without captures != 0")
	}
}
