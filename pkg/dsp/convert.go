// Package dsp turns raw IQ into time-frequency power grids: sample
// conversion, windowing, FFT (a batched radix-2 FFT, AVX2 assembly on amd64) and the
// short-time power spectrum the detector works on. It is pure: no I/O, no
// logging, no globals, and nothing is allocated per hop after set-up.
package dsp

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cellwatch/cellwatch/pkg/iq"
)

// Converter decodes raw samples of one format into complex64 with full scale
// at ±1.0 per component.
type Converter struct {
	format iq.Format
	lut    [256]float32 // cu8 and cs8: byte value -> component
	asm    bool         // cu8 with the AVX2 kernel
}

// NewConverter returns a converter for f.
func NewConverter(f iq.Format) (*Converter, error) {
	if !f.Valid() {
		return nil, fmt.Errorf("dsp: unsupported sample format %v", f)
	}
	c := &Converter{format: f, asm: f == iq.CU8 && haveAVX2()}
	for b := 0; b < 256; b++ {
		switch f {
		case iq.CU8:
			// rtl-sdr offset binary: 127.5 is zero, so full scale is symmetric.
			c.lut[b] = (float32(b) - 127.5) / 127.5
		case iq.CS8:
			c.lut[b] = float32(int8(uint8(b))) / 128
		}
	}
	return c, nil
}

// Format is the format this converter decodes.
func (c *Converter) Format() iq.Format { return c.format }

// Convert decodes whole samples from src into dst and returns how many it
// wrote: min(len(dst), len(src)/bytesPerSample).
func (c *Converter) Convert(dst []complex64, src []byte) int {
	bps := c.format.BytesPerSample()
	n := len(src) / bps
	if n > len(dst) {
		n = len(dst)
	}
	switch c.format {
	case iq.CU8, iq.CS8:
		m := 0
		if c.asm && n >= 8 {
			m = n &^ 7
			convertCU8AVX2(&dst[0], &src[0], m)
		}
		src = src[2*m : 2*n]
		for i := range dst[m:n] {
			dst[m+i] = complex(c.lut[src[2*i]], c.lut[src[2*i+1]])
		}
	case iq.CS16:
		for i := 0; i < n; i++ {
			re := int16(binary.LittleEndian.Uint16(src[4*i:]))
			im := int16(binary.LittleEndian.Uint16(src[4*i+2:]))
			dst[i] = complex(float32(re)/32768, float32(im)/32768)
		}
	case iq.CF32:
		for i := 0; i < n; i++ {
			re := math.Float32frombits(binary.LittleEndian.Uint32(src[8*i:]))
			im := math.Float32frombits(binary.LittleEndian.Uint32(src[8*i+4:]))
			dst[i] = complex(re, im)
		}
	}
	return n
}
