package sweep

import (
	"fmt"

	"github.com/cellwatch/cellwatch/pkg/bands"
	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/dsp"
	"github.com/cellwatch/cellwatch/pkg/iq"
)

// chain is the per-source processing set-up: conversion, STFT and detector,
// with buffers sized for the largest block it will see.
type chain struct {
	conv  *dsp.Converter
	stft  *dsp.STFT
	grid  *dsp.Grid
	det   *detect.Detector
	x     []complex64
	raw   []byte
	burst []detect.Burst
}

// Sample rates the detection core handles: below, no grid resolves a
// 180 kHz block in time and frequency; above, buffers grow past reason.
const minRate, maxRate = 200e3, 61.44e6

func newChain(f iq.Format, fs float64, maxSamples int, falseAlarmsPerDay float64) (*chain, error) {
	if fs < minRate || fs > maxRate {
		return nil, fmt.Errorf("sample rate %g S/s is outside what the detector handles (%g kS/s – %g MS/s)", fs, minRate/1e3, maxRate/1e6)
	}
	conv, err := dsp.NewConverter(f)
	if err != nil {
		return nil, err
	}
	n := dsp.FFTSizeFor(fs)
	st, err := dsp.NewSTFT(n, fs, maxSamples)
	if err != nil {
		return nil, err
	}
	det, err := detect.NewDetector(detect.Config{
		SampleRate: fs, FFTSize: n, FrameHop: st.Hop(), Window: st.Window(),
		MaxFrames: st.FramesFor(maxSamples), FalseAlarmsPerDay: falseAlarmsPerDay,
	})
	if err != nil {
		return nil, fmt.Errorf("detector at %g S/s: %w", fs, err)
	}
	return &chain{
		conv: conv, stft: st, grid: st.NewGrid(), det: det,
		x:     make([]complex64, maxSamples),
		raw:   make([]byte, maxSamples*f.BytesPerSample()),
		burst: make([]detect.Burst, 0, 256),
	}, nil
}

// trackerConfig labels emissions with the plan's bands and rejects its
// downlinks and short-range-device allocations.
func trackerConfig(p bands.Plan, gap float64) detect.TrackerConfig {
	return detect.TrackerConfig{
		Gap: gap,
		Band: func(f float64) string {
			if b, ok := p.BandAt(f); ok {
				return b.Name
			}
			return ""
		},
		NoGSM: func(f float64) bool {
			b, ok := p.BandAt(f)
			return ok && !b.HasTech(bands.TechGSM)
		},
		NoUMTS: func(f float64) bool {
			b, ok := p.BandAt(f)
			return ok && !b.HasTech(bands.TechUMTS)
		},
		NotUplink: func(f float64) string {
			if b, ok := p.DownlinkAt(f); ok {
				return "downlink band (" + b.Name + ")"
			}
			if r, ok := p.ShortRangeAt(f); ok {
				return "short-range devices (" + r.Band + ")"
			}
			return ""
		},
	}
}
