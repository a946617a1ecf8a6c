package sweep

import (
	"fmt"
	"slices"
)

// AssignHops shares a plan's hops among n receivers. bandsOf[i] lists the
// bands receiver i must sweep (empty: a share of whatever no receiver
// claimed). Claimed bands go to their receivers; unclaimed hops are split
// into contiguous, nearly equal runs among the receivers without a list.
func AssignHops(hops []Hop, bandsOf [][]string) ([][]Hop, error) {
	out := make([][]Hop, len(bandsOf))
	claimed := map[string]int{}
	var free []int
	for i, bs := range bandsOf {
		if len(bs) == 0 {
			free = append(free, i)
			continue
		}
		for _, b := range bs {
			if j, ok := claimed[b]; ok && j != i {
				return nil, fmt.Errorf("band %s is claimed by two receivers (%d and %d)", b, j, i)
			}
			claimed[b] = i
		}
	}
	var rest []Hop
	for _, h := range hops {
		if i, ok := claimed[h.Band]; ok {
			out[i] = append(out[i], h)
		} else {
			rest = append(rest, h)
		}
	}
	for b, i := range claimed {
		if !slices.ContainsFunc(hops, func(h Hop) bool { return h.Band == b }) {
			return nil, fmt.Errorf("receiver %d: band %s has no hops in the plan", i, b)
		}
	}
	if len(rest) > 0 && len(free) == 0 {
		missing := map[string]bool{}
		for _, h := range rest {
			missing[h.Band] = true
		}
		names := make([]string, 0, len(missing))
		for b := range missing {
			names = append(names, b)
		}
		slices.Sort(names)
		return nil, fmt.Errorf("no receiver sweeps bands %v: list them in a source's bands, or leave one source's bands empty", names)
	}
	for j, i := range free {
		lo := len(rest) * j / len(free)
		hi := len(rest) * (j + 1) / len(free)
		out[i] = append(out[i], rest[lo:hi]...)
	}
	return out, nil
}
