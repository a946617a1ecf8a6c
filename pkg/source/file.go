package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"github.com/cellwatch/cellwatch/pkg/iq"
)

// FileOptions are what the user said about a recording (command-line flags).
// Zero values mean "not given".
type FileOptions struct {
	Name       string    // Source name; default: the data file's base name
	Format     iq.Format // --format
	SampleRate float64   // --sample-rate, complex samples per second
	CenterFreq float64   // --center-freq, Hz
}

// File is a Source that plays a recording once: read-only, one fixed tune.
//
// Its format, sample rate and centre frequency are resolved by OpenFile:
//  1. a SigMF recording (PATH.sigmf-meta or PATH.sigmf-data, or PATH with a
//     PATH.sigmf-meta next to it) is described by its metadata alone; an
//     option that contradicts the metadata is an error;
//  2. otherwise the options, then what the file name says (iq.ParseNameHints);
//  3. an unknown format or sample rate is an error. An unknown centre
//     frequency is allowed (baseband recording): it stays 0.
//
// A file whose size is not a whole number of samples is read up to its last
// whole sample; Read then returns an error wrapping io.ErrUnexpectedEOF
// (instead of io.EOF) so that the caller keeps the samples and still fails.
//
// Read, Tune and Close may be called from one goroutine; Position and
// TotalSamples from any.
type File struct {
	name     string
	path     string // the data file
	info     Info
	meta     *iq.SigMF
	f        *os.File
	bps      int
	total    int64 // whole samples in the file
	trailing int64 // bytes after the last whole sample

	pos    atomic.Int64 // samples delivered
	closed atomic.Bool
}

// OpenFile opens the recording at path; see File for how its parameters are
// resolved. Errors are one line that starts with the file at fault.
func OpenFile(path string, o FileOptions) (*File, error) {
	if err := checkOptions(path, o); err != nil {
		return nil, err
	}
	dataPath := path
	var (
		meta *iq.SigMF
		info = Info{Format: o.Format, SampleRate: o.SampleRate, CenterFreq: o.CenterFreq}
	)
	metaPath, ok := sigmfMetaFor(path)
	if ok {
		var err error
		if meta, err = iq.ReadSigMFMeta(metaPath); err != nil {
			if path != metaPath && errors.Is(err, fs.ErrNotExist) {
				// NAME.sigmf-data given, NAME.sigmf-meta missing.
				return nil, fmt.Errorf("%s: SigMF metadata %s: %w", path, metaPath, errors.Unwrap(err))
			}
			return nil, err
		}
		base, _ := iq.SigMFBase(metaPath)
		dataPath = base + iq.SigMFDataExt
		if info, err = resolveSigMF(metaPath, meta, o); err != nil {
			return nil, err
		}
	} else {
		h := iq.ParseNameHints(path)
		if info.Format == 0 {
			info.Format = h.Format
		}
		if info.SampleRate == 0 {
			info.SampleRate = h.SampleRate
		}
		if info.CenterFreq == 0 {
			info.CenterFreq = h.CenterFreq
		}
	}

	// Errors about the data file name the file the user gave, and the data
	// file too when that is another one.
	where := path
	if dataPath != path {
		where = fmt.Sprintf("%s: data file %s", path, dataPath)
	}
	f, err := os.Open(dataPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, pathErr(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", where, pathErr(err))
	}
	switch {
	case st.IsDir():
		f.Close()
		return nil, fmt.Errorf("%s: is a directory, not a recording", where)
	case !st.Mode().IsRegular():
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file (%s)", where, st.Mode().Type())
	case st.Size() == 0:
		f.Close()
		return nil, fmt.Errorf("%s: empty file", where)
	}

	// Only now, so that a missing or empty file is reported as such first.
	if meta == nil {
		switch {
		case info.Format == 0:
			f.Close()
			return nil, fmt.Errorf("%s: unknown sample format: pass --format (cu8, cs8, cs16 or cf32) or use a SigMF recording", path)
		case info.SampleRate == 0:
			f.Close()
			return nil, fmt.Errorf("%s: unknown sample rate: pass --sample-rate or use a SigMF recording", path)
		}
	}

	bps := info.Format.BytesPerSample()
	name := o.Name
	if name == "" {
		name = filepath.Base(dataPath)
	}
	return &File{
		name:     name,
		path:     dataPath,
		info:     info,
		meta:     meta,
		f:        f,
		bps:      bps,
		total:    st.Size() / int64(bps),
		trailing: st.Size() % int64(bps),
	}, nil
}

func checkOptions(path string, o FileOptions) error {
	switch {
	case o.Format != 0 && !o.Format.Valid():
		return fmt.Errorf("%s: invalid --format %v", path, o.Format)
	case o.SampleRate < 0 || math.IsNaN(o.SampleRate) || math.IsInf(o.SampleRate, 0):
		return fmt.Errorf("%s: invalid --sample-rate %g: must be > 0", path, o.SampleRate)
	case o.CenterFreq < 0 || math.IsNaN(o.CenterFreq) || math.IsInf(o.CenterFreq, 0):
		return fmt.Errorf("%s: invalid --center-freq %g: must be > 0", path, o.CenterFreq)
	}
	return nil
}

// sigmfMetaFor says whether path is (part of) a SigMF recording and where its
// metadata is.
func sigmfMetaFor(path string) (string, bool) {
	if base, ok := iq.SigMFBase(path); ok {
		return base + iq.SigMFMetaExt, true
	}
	if st, err := os.Stat(path + iq.SigMFMetaExt); err == nil && st.Mode().IsRegular() {
		return path + iq.SigMFMetaExt, true
	}
	return "", false
}

// resolveSigMF takes the parameters from the metadata and checks the options
// against them. The metadata has been validated by ReadSigMFMeta.
func resolveSigMF(metaPath string, m *iq.SigMF, o FileOptions) (Info, error) {
	format, err := m.Format()
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w", metaPath, err)
	}
	info := Info{Format: format, SampleRate: m.SampleRate(), CenterFreq: m.CenterFreq()}
	if o.Format != 0 && o.Format != format {
		return Info{}, fmt.Errorf("%s: --format %s contradicts core:datatype %q (%s)", metaPath, o.Format, m.Global.Datatype, format)
	}
	if o.SampleRate != 0 && !sameFreq(o.SampleRate, info.SampleRate) {
		return Info{}, fmt.Errorf("%s: --sample-rate %s contradicts core:sample_rate %s", metaPath, fmtNum(o.SampleRate), fmtNum(info.SampleRate))
	}
	// A recording is one tune: captures that disagree cannot be played as one.
	for i, c := range m.Captures {
		if c.Frequency != 0 && !sameFreq(c.Frequency, info.CenterFreq) {
			return Info{}, fmt.Errorf("%s: captures[%d] core:frequency %s differs from captures[0] core:frequency %s; only single-frequency recordings can be read",
				metaPath, i, fmtNum(c.Frequency), fmtNum(info.CenterFreq))
		}
	}
	if o.CenterFreq != 0 {
		if info.CenterFreq == 0 {
			info.CenterFreq = o.CenterFreq // the metadata does not say
		} else if !sameFreq(o.CenterFreq, info.CenterFreq) {
			return Info{}, fmt.Errorf("%s: --center-freq %s contradicts core:frequency %s", metaPath, fmtNum(o.CenterFreq), fmtNum(info.CenterFreq))
		}
	}
	return info, nil
}

// sameFreq compares frequencies and rates that went through a decimal text
// form (flags, JSON) with a relative tolerance of 1e-9.
func sameFreq(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// pathErr drops the *PathError wrapper (whose message repeats the path and
// the operation) and keeps its cause, so errors.Is(err, fs.ErrNotExist) holds.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Name is the source's name for logs and metrics.
func (s *File) Name() string { return s.name }

// Info describes the recording; Tunable is false.
func (s *File) Info() Info { return s.info }

// Path is the data file being read (NAME.sigmf-data for a SigMF recording).
func (s *File) Path() string { return s.path }

// Meta is the SigMF metadata, nil when the recording is not SigMF.
func (s *File) Meta() *iq.SigMF { return s.meta }

// TotalSamples is the number of whole samples in the file.
func (s *File) TotalSamples() int64 { return s.total }

// Position is the number of samples Read has delivered.
func (s *File) Position() int64 { return s.pos.Load() }

// Tune accepts only the recording's own frequency (0 for a recording whose
// frequency is unknown); anything else is ErrNotTunable.
func (s *File) Tune(_ context.Context, freqHz float64) error {
	if sameFreq(freqHz, s.info.CenterFreq) {
		return nil
	}
	if s.info.CenterFreq == 0 {
		return fmt.Errorf("%s: cannot tune to %s Hz: the recording's centre frequency is unknown: %w", s.name, fmtNum(freqHz), ErrNotTunable)
	}
	return fmt.Errorf("%s: cannot tune to %s Hz: the recording is at %s Hz: %w", s.name, fmtNum(freqHz), fmtNum(s.info.CenterFreq), ErrNotTunable)
}

// Read fills p with whole samples (len(p) must hold at least one). After the
// last sample it returns io.EOF, or for a truncated file an error wrapping
// io.ErrUnexpectedEOF, on this and every later call.
func (s *File) Read(ctx context.Context, p []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if s.closed.Load() {
		return 0, fmt.Errorf("%s: read after close: %w", s.name, os.ErrClosed)
	}
	if len(p) < s.bps {
		return 0, fmt.Errorf("%s: read buffer of %d bytes cannot hold one %s sample (%d bytes): %w", s.name, len(p), s.info.Format, s.bps, io.ErrShortBuffer)
	}
	left := s.total - s.pos.Load()
	if left <= 0 {
		if s.trailing > 0 {
			return 0, fmt.Errorf("%s: truncated: %d trailing bytes are not a whole %s sample (%d bytes): %w",
				s.path, s.trailing, s.info.Format, s.bps, io.ErrUnexpectedEOF)
		}
		return 0, io.EOF
	}
	want := min(int64(len(p)/s.bps), left) * int64(s.bps)
	n, err := io.ReadFull(s.f, p[:want])
	whole := n / s.bps
	s.pos.Add(int64(whole))
	if err != nil {
		// The file shrank under us or the disk failed; a partial sample at
		// the end of p is dropped.
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%s: file shrank while reading (after %d of %d samples): %w", s.path, s.pos.Load(), s.total, io.ErrUnexpectedEOF)
		} else {
			err = fmt.Errorf("%s: %w", s.path, pathErr(err))
		}
		return whole * s.bps, err
	}
	return n, nil
}

// Close closes the file. It is safe to call more than once.
func (s *File) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	return s.f.Close()
}

var _ Source = (*File)(nil)
