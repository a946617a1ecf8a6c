package sim

import (
	"math"
	"sort"
	"time"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/cellwatch/cellwatch/pkg/detect"
)

const fs = 2.4e6

// quietScene is a sensor with nothing but thermal noise, and the given phones.
func quietScene(phones ...Phone) *Scene {
	return &Scene{Name: "test", Seed: 7, Sensor: Sensor{Name: "s", X: 0, Y: 0, NoiseFigureDB: 6, FullScaleDBm: -67}, Phones: phones}
}

// phoneAtSNR places a phone 10 m from the sensor with the TX power that gives
// snrDB in-channel (GSM: 200 kHz; LTE: per RB, 180 kHz).
func phoneAtSNR(sc *Scene, p Phone, snrDB float64) Phone {
	p.X, p.Y = 10, 0
	bw := 180e3
	if p.Tech == detect.GSM {
		bw = 200e3
	}
	noise := -174 + sc.Sensor.noiseFigure() + 10*math.Log10(bw)
	p.TxPowerDBm = noise + snrDB + sc.PathLossDB(p.X, p.Y, p.FreqHz)
	return p
}

// run generates samples up to stream time t at the simulator's tune and
// returns them as complex values (full scale 1).
func run(s *Simulator, t time.Duration) []complex128 {
	n := int64(math.Round(t.Seconds()*s.SampleRate())) - s.n
	if n <= 0 {
		return nil
	}
	b := make([]byte, 2*n)
	s.Generate(b)
	return cu8(b)
}

func cu8(b []byte) []complex128 {
	x := make([]complex128, len(b)/2)
	for i := range x {
		x[i] = complex((float64(b[2*i])-127.5)/127.5, (float64(b[2*i+1])-127.5)/127.5)
	}
	return x
}

// welch returns the averaged Hann periodogram of x (nfft bins, fftshifted:
// bin k is frequency (k − nfft/2)·fs/nfft), 50 % overlap.
func welch(x []complex128, nfft int) []float64 {
	f := fourier.NewCmplxFFT(nfft)
	w := make([]float64, nfft)
	for i := range w {
		w[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(nfft))
	}
	psd := make([]float64, nfft)
	buf := make([]complex128, nfft)
	k := 0
	for off := 0; off+nfft <= len(x); off += nfft / 2 {
		for i := range buf {
			buf[i] = x[off+i] * complex(w[i], 0)
		}
		f.Coefficients(buf, buf)
		for i, v := range buf {
			psd[(i+nfft/2)%nfft] += real(v)*real(v) + imag(v)*imag(v)
		}
		k++
	}
	for i := range psd {
		psd[i] /= float64(k)
	}
	return psd
}

func db(x float64) float64 { return 10 * math.Log10(x) }

func median(v []float64) float64 {
	c := append([]float64(nil), v...)
	sort.Float64s(c)
	return c[len(c)/2]
}

// widthAbove returns the width (Hz) of the contiguous run of bins around bin
// c whose level is at least thr (linear).
func widthAbove(psd []float64, c int, thr float64) float64 {
	lo, hi := c, c
	for lo > 0 && psd[lo-1] >= thr {
		lo--
	}
	for hi < len(psd)-1 && psd[hi+1] >= thr {
		hi++
	}
	return float64(hi-lo+1) * fs / float64(len(psd))
}

// bandPower is the mean power of x in [f0, f1] Hz (baseband) by DFT bins of
// one block (len(x) samples, rectangular).
func bandPower(x []complex128, f0, f1 float64) float64 {
	n := len(x)
	f := fourier.NewCmplxFFT(n)
	c := f.Coefficients(nil, x)
	var p float64
	for i, v := range c {
		fi := float64(i) * fs / float64(n)
		if fi >= fs/2 {
			fi -= fs
		}
		if fi >= f0 && fi <= f1 {
			p += real(v)*real(v) + imag(v)*imag(v)
		}
	}
	return p / float64(n) / float64(n)
}

func meanPower(x []complex128) float64 {
	var p float64
	for _, v := range x {
		p += real(v)*real(v) + imag(v)*imag(v)
	}
	return p / float64(len(x))
}
