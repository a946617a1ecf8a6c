package detect

import (
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/mathext"
)

// boxLooks returns the number of independent exponential looks ("shape") that
// a sum over a box of tw frames × fw bins of an STFT power grid carries under
// white noise, found by matching the first two moments: mean tw·fw, variance
// Σ |ρ|² over all pairs of cells in the box, where ρ is the exact complex
// correlation between STFT cells for window win and frame step hop. Hann
// bins correlate with their neighbours (|ρ|² = 4/9) and 50 %-overlapped
// frames with theirs (1/9), so a box holds fewer looks than cells.
func boxLooks(win []float64, hop, tw, fw int) float64 {
	n := len(win)
	var s2 float64
	for _, v := range win {
		s2 += v * v
	}
	maxDt := (n - 1) / hop
	maxDk := fw - 1
	if maxDk > 16 {
		maxDk = 16 // |ρ|² beyond 16 Hann bins is < 1e-6: negligible
	}
	var v float64
	for dt := -maxDt; dt <= maxDt; dt++ {
		wt := tw - abs(dt)
		if wt <= 0 {
			continue
		}
		d := abs(dt) * hop
		for dk := -maxDk; dk <= maxDk; dk++ {
			wk := fw - abs(dk)
			if wk <= 0 {
				continue
			}
			var c complex128
			for i := d; i < n; i++ {
				c += complex(win[i]*win[i-d], 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(dk*i)/float64(n)))
			}
			r := cmplx.Abs(c) / s2
			v += r * r * float64(wt*wk)
		}
	}
	m := float64(tw * fw)
	return m * m / v
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// ratioThreshold is the level that the mean of a box of normalised power
// (cell power over the estimated floor) exceeds with probability pfa under
// noise alone, when the box holds `looks` independent looks and the floor
// estimate itself is worth floorLooks looks (floorLooks ≤ 0: floor known
// exactly). The box mean over a floor estimate is then F-distributed,
// F(2·looks, 2·floorLooks): the classical CFAR result, which charges the
// threshold for an imperfect floor instead of ignoring it.
func ratioThreshold(looks, floorLooks, pfa float64) float64 {
	if floorLooks <= 0 || math.IsInf(floorLooks, 1) || floorLooks > 1e7 {
		return mathext.GammaIncRegCompInv(looks, pfa) / looks
	}
	d1, d2 := 2*looks, 2*floorLooks
	// P(F > x) = I_u(d2/2, d1/2) with u = d2/(d2 + d1·x).
	u := mathext.InvRegIncBeta(d2/2, d1/2, pfa)
	return d2 * (1 - u) / (d1 * u)
}

// exceedProb is P(F(2·looks, 2·floorLooks) > x): the false-alarm
// probability of one box at threshold x (used in tests and by the bench).
func exceedProb(looks, floorLooks, x float64) float64 {
	if floorLooks <= 0 {
		return mathext.GammaIncRegComp(looks, x*looks)
	}
	d1, d2 := 2*looks, 2*floorLooks
	return mathext.RegIncBeta(d2/2, d1/2, d2/(d2+d1*x))
}

// thresholdCache remembers ratioThreshold's results. A tune's floor looks
// settle after some visits, and box templates and region sizes repeat, so
// in steady state every hop reuses thresholds instead of inverting the
// incomplete beta function (microseconds each) per template and region.
// It is keyed by the exact arguments, so a hit returns the very value
// ratioThreshold would: 4-way set-associative, replacing round-robin.
type thresholdCache struct {
	entries []thresholdEntry
	next    []uint8 // per set: the way to replace next
}

type thresholdEntry struct {
	looks, floorLooks, pfa, thr float64
	ok                          bool
}

const (
	thresholdWays = 4
	// thresholdSets holds the box templates of a few floors and the verify
	// thresholds of the region sizes that a tune's grids yield.
	thresholdSets = 256
)

func newThresholdCache() thresholdCache {
	return thresholdCache{entries: make([]thresholdEntry, thresholdSets*thresholdWays), next: make([]uint8, thresholdSets)}
}

// threshold is ratioThreshold(looks, floorLooks, pfa), cached.
func (c *thresholdCache) threshold(looks, floorLooks, pfa float64) float64 {
	h := math.Float64bits(looks) ^ math.Float64bits(floorLooks)*0x9e3779b97f4a7c15 ^ math.Float64bits(pfa)*0xc2b2ae3d27d4eb4f
	h = (h ^ h>>33) * 0xff51afd7ed558ccd // murmur3's finaliser: every bit moves the set
	h ^= h >> 33
	set := int(h % thresholdSets)
	ways := c.entries[set*thresholdWays : (set+1)*thresholdWays]
	for i := range ways {
		if e := &ways[i]; e.ok && e.looks == looks && e.floorLooks == floorLooks && e.pfa == pfa {
			return e.thr
		}
	}
	thr := ratioThreshold(looks, floorLooks, pfa)
	ways[c.next[set]] = thresholdEntry{looks: looks, floorLooks: floorLooks, pfa: pfa, thr: thr, ok: true}
	c.next[set] = (c.next[set] + 1) % thresholdWays
	return thr
}
