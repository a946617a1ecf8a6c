package iq

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"
)

// SigMF file name extensions.
const (
	SigMFMetaExt = ".sigmf-meta"
	SigMFDataExt = ".sigmf-data"
)

// SigMFVersion is the core:version WriteSigMF puts in metadata that has none.
const SigMFVersion = "1.2.0"

// SigMF is the metadata of one SigMF recording (spec 1.2): the contents of a
// NAME.sigmf-meta file describing NAME.sigmf-data.
//
// Keys this package does not model (core:sha512, core:geolocation, extension
// namespaces, …) are kept in the Extra maps so that reading and rewriting a
// file does not lose them.
type SigMF struct {
	Global      SigMFGlobal       `json:"global"`
	Captures    []SigMFCapture    `json:"captures"`
	Annotations []SigMFAnnotation `json:"annotations"`
}

// SigMFGlobal is the "global" object.
type SigMFGlobal struct {
	Datatype    string  `json:"core:datatype"`
	SampleRate  float64 `json:"core:sample_rate,omitempty"`
	Version     string  `json:"core:version"`
	Description string  `json:"core:description,omitempty"`
	HW          string  `json:"core:hw,omitempty"`
	Recorder    string  `json:"core:recorder,omitempty"`
	Author      string  `json:"core:author,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// SigMFCapture is one "captures" segment.
type SigMFCapture struct {
	SampleStart uint64    `json:"core:sample_start"`
	Frequency   float64   `json:"core:frequency,omitempty"` // Hz; 0 = not given
	Datetime    time.Time `json:"core:datetime,omitzero"`   // written in UTC

	Extra map[string]json.RawMessage `json:"-"`
}

// SigMFAnnotation is one "annotations" entry; cellwatch writes one per
// detection, with the detection id as core:uuid.
type SigMFAnnotation struct {
	SampleStart   uint64  `json:"core:sample_start"`
	SampleCount   uint64  `json:"core:sample_count,omitempty"`
	FreqLowerEdge float64 `json:"core:freq_lower_edge,omitempty"` // Hz, RF
	FreqUpperEdge float64 `json:"core:freq_upper_edge,omitempty"` // Hz, RF
	Label         string  `json:"core:label,omitempty"`
	Comment       string  `json:"core:comment,omitempty"`
	Generator     string  `json:"core:generator,omitempty"`
	UUID          string  `json:"core:uuid,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

type (
	sigmfGlobalFields     SigMFGlobal
	sigmfCaptureFields    SigMFCapture
	sigmfAnnotationFields SigMFAnnotation
)

// UnmarshalJSON decodes the known keys and keeps the others in Extra.
func (g *SigMFGlobal) UnmarshalJSON(b []byte) error {
	return unmarshalKeepExtra(b, (*sigmfGlobalFields)(g), &g.Extra)
}

// MarshalJSON encodes the known keys plus Extra.
func (g SigMFGlobal) MarshalJSON() ([]byte, error) {
	return marshalWithExtra(sigmfGlobalFields(g), g.Extra)
}

// UnmarshalJSON decodes the known keys and keeps the others in Extra.
func (c *SigMFCapture) UnmarshalJSON(b []byte) error {
	return unmarshalKeepExtra(b, (*sigmfCaptureFields)(c), &c.Extra)
}

// MarshalJSON encodes the known keys plus Extra.
func (c SigMFCapture) MarshalJSON() ([]byte, error) {
	return marshalWithExtra(sigmfCaptureFields(c), c.Extra)
}

// UnmarshalJSON decodes the known keys and keeps the others in Extra.
func (a *SigMFAnnotation) UnmarshalJSON(b []byte) error {
	return unmarshalKeepExtra(b, (*sigmfAnnotationFields)(a), &a.Extra)
}

// MarshalJSON encodes the known keys plus Extra.
func (a SigMFAnnotation) MarshalJSON() ([]byte, error) {
	return marshalWithExtra(sigmfAnnotationFields(a), a.Extra)
}

// jsonKeys lists the JSON keys of the tagged fields of struct type t.
func jsonKeys(t reflect.Type) map[string]bool {
	keys := map[string]bool{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}

func unmarshalKeepExtra(b []byte, v any, extra *map[string]json.RawMessage) error {
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil || all == nil {
		return err // null: nothing to keep
	}
	known := jsonKeys(reflect.TypeOf(v).Elem())
	*extra = nil
	for k, raw := range all {
		if !known[k] {
			if *extra == nil {
				*extra = map[string]json.RawMessage{}
			}
			(*extra)[k] = raw
		}
	}
	return nil
}

func marshalWithExtra(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, raw := range extra {
		if _, dup := all[k]; !dup { // a modelled field wins over a stale copy
			all[k] = raw
		}
	}
	return json.Marshal(all) // map keys come out sorted: stable files
}

// sigmfDatatypeRE is the core:datatype pattern of the SigMF 1.2 schema.
var sigmfDatatypeRE = regexp.MustCompile(`^(c|r)(f32|f64|i32|i16|u32|u16|i8|u8)(_le|_be)?$`)

const sigmfSupported = "cu8, ci8, ci16_le and cf32_le"

// SigMFFormat maps a SigMF core:datatype to a Format. It accepts the complex
// little-endian types cellwatch reads (cu8, ci8, ci16_le, cf32_le; an 8-bit
// type may carry either endianness suffix, and a wider type without suffix is
// taken as little-endian) and explains why any other datatype is refused.
func SigMFFormat(dt string) (Format, error) {
	if dt == "" {
		return 0, errors.New("core:datatype is missing")
	}
	m := sigmfDatatypeRE.FindStringSubmatch(dt)
	if m == nil {
		hint := ""
		if f, err := ParseFormat(dt); err == nil {
			hint = fmt.Sprintf(" (did you mean %q?)", f.SigMFDatatype())
		}
		return 0, fmt.Errorf("core:datatype %q is not a SigMF datatype%s; supported: %s", dt, hint, sigmfSupported)
	}
	kind, typ, endian := m[1], m[2], m[3]
	var why string
	switch {
	case kind == "r":
		why = "real (not complex I/Q) samples"
	case endian == "_be" && typ != "i8" && typ != "u8":
		why = "big-endian samples"
	}
	if why == "" {
		switch typ {
		case "u8":
			return CU8, nil
		case "i8":
			return CS8, nil
		case "i16":
			return CS16, nil
		case "f32":
			return CF32, nil
		}
		why = "sample type " + typ
	}
	return 0, fmt.Errorf("core:datatype %q is not supported (%s); supported: %s", dt, why, sigmfSupported)
}

// Format is the sample format named by global core:datatype.
func (m *SigMF) Format() (Format, error) { return SigMFFormat(m.Global.Datatype) }

// SampleRate is global core:sample_rate in complex samples per second (0 if absent).
func (m *SigMF) SampleRate() float64 { return m.Global.SampleRate }

// CenterFreq is the core:frequency of the first capture in Hz, 0 if there is none.
func (m *SigMF) CenterFreq() float64 {
	if len(m.Captures) == 0 {
		return 0
	}
	return m.Captures[0].Frequency
}

// Validate checks what cellwatch needs to read the recording: a supported
// datatype and a positive sample rate.
func (m *SigMF) Validate() error {
	if _, err := m.Format(); err != nil {
		return fmt.Errorf("global %w", err)
	}
	if m.Global.SampleRate <= 0 {
		if m.Global.SampleRate == 0 {
			return errors.New("global core:sample_rate is missing (or 0)")
		}
		return fmt.Errorf("global core:sample_rate is %g, must be > 0", m.Global.SampleRate)
	}
	return nil
}

// SigMFBase strips a .sigmf-meta or .sigmf-data extension; ok reports whether
// there was one.
func SigMFBase(path string) (base string, ok bool) {
	for _, ext := range []string{SigMFMetaExt, SigMFDataExt} {
		if b, found := strings.CutSuffix(path, ext); found {
			return b, true
		}
	}
	return path, false
}

// ReadSigMFMeta reads and checks a .sigmf-meta file: valid JSON with a
// "global" object, a supported core:datatype and a core:sample_rate > 0.
// Every error is one line that starts with the file name (and the line and
// column for JSON errors) and names the field at fault.
func ReadSigMFMeta(path string) (*SigMF, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m, err := parseSigMFMeta(b)
	if err != nil {
		var pe *posError
		if errors.As(err, &pe) && pe.line > 0 {
			return nil, fmt.Errorf("%s:%d:%d: %w", path, pe.line, pe.col, pe.err)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// posError is a metadata error at a line and column of the file.
type posError struct {
	line, col int
	err       error
}

func (e *posError) Error() string { return fmt.Sprintf("%d:%d: %v", e.line, e.col, e.err) }
func (e *posError) Unwrap() error { return e.err }

// sigmfPlain has the shape of SigMF without the custom (un)marshalers, whose
// nested decoding would lose the position and field path of type errors.
type sigmfPlain struct {
	Global      sigmfGlobalFields       `json:"global"`
	Captures    []sigmfCaptureFields    `json:"captures"`
	Annotations []sigmfAnnotationFields `json:"annotations"`
}

func parseSigMFMeta(b []byte) (*SigMF, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, jsonPosError(b, err)
	}
	end := int(dec.InputOffset())
	if _, err := dec.Token(); err != io.EOF {
		for end < len(b) && strings.IndexByte(" \t\r\n", b[end]) >= 0 {
			end++
		}
		line, col := lineCol(b, end)
		return nil, &posError{line, col, errors.New("invalid JSON: more data after the top-level object")}
	}
	if raw[0] != '{' {
		return nil, errors.New("not SigMF metadata: the top level is not a JSON object")
	}
	var top struct {
		Global map[string]json.RawMessage `json:"global"`
	}
	var plain sigmfPlain
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, jsonPosError(b, err)
	}
	if err := json.Unmarshal(b, &plain); err != nil {
		return nil, jsonPosError(b, err)
	}
	if top.Global == nil {
		return nil, errors.New(`the "global" object is missing`)
	}
	var m SigMF
	if err := json.Unmarshal(b, &m); err != nil { // cannot fail now; fills Extra
		return nil, jsonPosError(b, err)
	}
	if _, err := m.Format(); err != nil {
		return nil, fmt.Errorf("global %w", err)
	}
	if _, ok := top.Global["core:sample_rate"]; !ok {
		return nil, errors.New("global core:sample_rate is missing")
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// jsonPosError turns an encoding/json error into a one-line message with the
// line and column of the offending byte where json reports one.
func jsonPosError(b []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var tpe *time.ParseError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(b, int(se.Offset))
		return &posError{line, col, fmt.Errorf("invalid JSON: %w", err)}
	case errors.As(err, &te):
		line, col := lineCol(b, int(te.Offset))
		field := te.Field
		if field == "" {
			field = "the top level"
		}
		return &posError{line, col, fmt.Errorf("%s is a JSON %s, want %s", field, te.Value, jsonKind(te.Type))}
	case errors.As(err, &tpe):
		return fmt.Errorf("captures: core:datetime %q is not an RFC 3339 time like 2006-01-02T15:04:05Z", tpe.Value)
	case errors.Is(err, io.EOF):
		return errors.New("invalid JSON: the file is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("invalid JSON: the file ends in the middle of the object")
	}
	return fmt.Errorf("invalid SigMF metadata: %w", err)
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "non-negative integer"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Bool:
		return "boolean"
	}
	return t.String()
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(b []byte, off int) (line, col int) {
	off = min(max(off, 0), len(b))
	before := b[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = off - bytes.LastIndexByte(before, '\n')
	return line, col
}

// WriteSigMF writes data to BASE.sigmf-data and then meta to BASE.sigmf-meta,
// each through a temporary file that is synced and renamed into place, so a
// crash never leaves metadata without its data. meta must describe data: a
// supported datatype, a positive sample rate and whole samples. An empty
// core:version is written as SigMFVersion; capture datetimes are written in UTC.
func WriteSigMF(base string, meta *SigMF, data []byte) error {
	w, err := CreateSigMF(base, meta)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// SigMFWriter streams a SigMF recording. Samples go to a temporary file next
// to BASE.sigmf-data; Commit renames it into place and only then writes
// BASE.sigmf-meta the same way. Abort (or a crash) leaves no recording behind,
// at worst a stray BASE.sigmf-data.tmp* file.
type SigMFWriter struct {
	base string
	meta *SigMF
	fmt  Format
	tmp  *os.File
	n    int64
	err  error // sticky: a failed write, or the writer is finished
	done bool
}

var errSigMFFinished = errors.New("SigMF recording already committed or aborted")

// CreateSigMF starts a recording at base (BASE.sigmf-data and
// BASE.sigmf-meta; a .sigmf-meta or .sigmf-data suffix on base is dropped).
// meta is checked now (supported datatype, sample rate > 0); the caller may
// still change it, e.g. add annotations, until Commit.
func CreateSigMF(base string, meta *SigMF) (*SigMFWriter, error) {
	if b, ok := SigMFBase(base); ok {
		base = b
	}
	if meta == nil {
		return nil, fmt.Errorf("%s%s: no metadata", base, SigMFMetaExt)
	}
	if err := meta.Validate(); err != nil {
		return nil, fmt.Errorf("%s%s: %w", base, SigMFMetaExt, err)
	}
	f, _ := meta.Format()
	tmp, err := os.CreateTemp(filepath.Dir(base), filepath.Base(base)+SigMFDataExt+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("%s%s: %w", base, SigMFDataExt, err)
	}
	return &SigMFWriter{base: base, meta: meta, fmt: f, tmp: tmp}, nil
}

// Write appends raw samples in the metadata's format.
func (w *SigMFWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.tmp.Write(p)
	w.n += int64(n)
	if err != nil {
		w.err = fmt.Errorf("%s%s: %w", w.base, SigMFDataExt, err)
	}
	return n, w.err
}

// Commit finishes the data file, then writes the metadata. On error nothing
// is left behind except, if only the metadata failed, the data file.
func (w *SigMFWriter) Commit() error {
	if w.done {
		return errSigMFFinished
	}
	if w.err != nil {
		err := w.err
		w.Abort()
		return err
	}
	dataPath, metaPath := w.base+SigMFDataExt, w.base+SigMFMetaExt
	if bps := int64(w.fmt.BytesPerSample()); w.n%bps != 0 {
		w.Abort()
		return fmt.Errorf("%s: %d bytes is not a whole number of %s samples (%d bytes each)", dataPath, w.n, w.fmt, bps)
	}
	// The metadata is encoded before the data is renamed into place so that
	// an unencodable meta leaves nothing behind.
	b, err := encodeSigMF(w.meta)
	if err != nil {
		w.Abort()
		return fmt.Errorf("%s: %w", metaPath, err)
	}
	if err := finishTemp(w.tmp, dataPath); err != nil {
		w.Abort()
		return fmt.Errorf("%s: %w", dataPath, err)
	}
	w.done, w.err = true, errSigMFFinished
	if err := writeFileAtomic(metaPath, b); err != nil {
		return fmt.Errorf("%s: %w", metaPath, err)
	}
	syncDir(filepath.Dir(metaPath))
	return nil
}

// Abort discards what was written. It is a no-op after Commit.
func (w *SigMFWriter) Abort() {
	if w.done {
		return
	}
	w.done, w.err = true, errSigMFFinished
	w.tmp.Close()
	os.Remove(w.tmp.Name())
}

// encodeSigMF renders meta as written: core:version defaulted, datetimes in
// UTC, and the captures and annotations arrays present even when empty.
func encodeSigMF(meta *SigMF) ([]byte, error) {
	out := *meta
	if out.Global.Version == "" {
		out.Global.Version = SigMFVersion
	}
	out.Captures = make([]SigMFCapture, len(meta.Captures))
	for i, c := range meta.Captures {
		if !c.Datetime.IsZero() {
			c.Datetime = c.Datetime.UTC()
		}
		out.Captures[i] = c
	}
	if out.Annotations == nil {
		out.Annotations = []SigMFAnnotation{}
	}
	b, err := json.MarshalIndent(&out, "", "  ")
	return append(b, '\n'), err
}

// recordingPerm is the mode of written recordings (CreateTemp makes 0600).
const recordingPerm = 0o644

// finishTemp syncs, closes and renames a temporary file to path.
func finishTemp(tmp *os.File, path string) error {
	if err := tmp.Chmod(recordingPerm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := finishTemp(tmp, path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// syncDir makes the renames durable; failure is harmless on file systems
// that do not support syncing a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
