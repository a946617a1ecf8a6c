package dsp

// The pure-Go kernels of batchFFT: the whole FFT on architectures without
// the assembly, and the reference the assembly is tested against. Each
// mirrors one assembly routine operation for operation (the AVX2 code uses
// FMA, so results agree to rounding, not bit for bit).

// stageGo is one radix-2 decimation-in-frequency stage of span h:
// a, b = a+b, (a−b)·W_{2h}^j for every pair (j, j+h) of every block of 2h.
func stageGo(buf, tw []float32, h int) {
	n := len(buf) / elem
	for s := 0; s < n; s += 2 * h {
		for j := 0; j < h; j++ {
			c, sn := tw[2*(h+j)], tw[2*(h+j)+1]
			a := (*[elem]float32)(buf[elem*(s+j):])
			b := (*[elem]float32)(buf[elem*(s+j+h):])
			for l := 0; l < lanes; l++ {
				ar, ai, br, bi := a[l], a[lanes+l], b[l], b[lanes+l]
				a[l], a[lanes+l] = ar+br, ai+bi
				dr, di := ar-br, ai-bi
				b[l], b[lanes+l] = dr*c-di*sn, dr*sn+di*c
			}
		}
	}
}

// firstCU8Go loads lanes cu8 frames (I/Q bytes from iq[offs[l]:]) as
// (b−127.5)·win[i], win being the window over the cu8 full scale, and runs
// the first stage (span n/2) on them.
func firstCU8Go(buf []float32, iq []byte, offs *[lanes]int32, win, tw []float32) {
	n := len(win)
	h := n / 2
	for j := 0; j < h; j++ {
		c, sn := tw[2*(h+j)], tw[2*(h+j)+1]
		wa, wb := win[j], win[j+h]
		a := (*[elem]float32)(buf[elem*j:])
		b := (*[elem]float32)(buf[elem*(j+h):])
		for l, o := range offs {
			pa := iq[int(o)+2*j:]
			pb := iq[int(o)+2*(j+h):]
			ar, ai := (float32(pa[0])-127.5)*wa, (float32(pa[1])-127.5)*wa
			br, bi := (float32(pb[0])-127.5)*wb, (float32(pb[1])-127.5)*wb
			a[l], a[lanes+l] = ar+br, ai+bi
			dr, di := ar-br, ai-bi
			b[l], b[lanes+l] = dr*c-di*sn, dr*sn+di*c
		}
	}
}

// powerGo runs the last stage (span 1, no twiddles) and adds (add) or
// stores |X|² per output position into out.
func powerGo(buf, out []float32, add bool) {
	n := len(buf) / elem
	for p := 0; p < n; p += 2 {
		a := (*[elem]float32)(buf[elem*p:])
		b := (*[elem]float32)(buf[elem*(p+1):])
		oa := (*[lanes]float32)(out[lanes*p:])
		ob := (*[lanes]float32)(out[lanes*(p+1):])
		for l := 0; l < lanes; l++ {
			sr, si := a[l]+b[l], a[lanes+l]+b[lanes+l]
			dr, di := a[l]-b[l], a[lanes+l]-b[lanes+l]
			ps, pd := sr*sr+si*si, dr*dr+di*di
			if add {
				oa[l] += ps
				ob[l] += pd
			} else {
				oa[l], ob[l] = ps, pd
			}
		}
	}
}

// stage2Go is stageGo(h) then stageGo(h/2) in one pass over the buffer: the
// four elements j, j+h/2, j+h, j+3h/2 of each block go through all four
// butterflies while in registers.
func stage2Go(buf, tw []float32, h int) {
	n := len(buf) / elem
	q := h / 2
	for s := 0; s < n; s += 2 * h {
		for j := 0; j < q; j++ {
			c0, s0 := tw[2*(h+j)], tw[2*(h+j)+1]
			c1, s1 := tw[2*(h+j+q)], tw[2*(h+j+q)+1]
			c2, s2 := tw[2*(q+j)], tw[2*(q+j)+1]
			x0 := (*[elem]float32)(buf[elem*(s+j):])
			x1 := (*[elem]float32)(buf[elem*(s+j+q):])
			x2 := (*[elem]float32)(buf[elem*(s+j+h):])
			x3 := (*[elem]float32)(buf[elem*(s+j+h+q):])
			for l := 0; l < lanes; l++ {
				a0r, a0i := x0[l]+x2[l], x0[lanes+l]+x2[lanes+l]
				dr, di := x0[l]-x2[l], x0[lanes+l]-x2[lanes+l]
				a2r, a2i := dr*c0-di*s0, dr*s0+di*c0
				a1r, a1i := x1[l]+x3[l], x1[lanes+l]+x3[lanes+l]
				dr, di = x1[l]-x3[l], x1[lanes+l]-x3[lanes+l]
				a3r, a3i := dr*c1-di*s1, dr*s1+di*c1
				x0[l], x0[lanes+l] = a0r+a1r, a0i+a1i
				dr, di = a0r-a1r, a0i-a1i
				x1[l], x1[lanes+l] = dr*c2-di*s2, dr*s2+di*c2
				x2[l], x2[lanes+l] = a2r+a3r, a2i+a3i
				dr, di = a2r-a3r, a2i-a3i
				x3[l], x3[lanes+l] = dr*c2-di*s2, dr*s2+di*c2
			}
		}
	}
}
