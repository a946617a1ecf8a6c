package sweep

import (
	"fmt"
	"slices"
)

// AssignHops shares a plan's hops among n receivers. bandsOf[i] lists the
// bands receiver i must sweep (empty: a share of whatever no receiver
// claimed). Claimed bands go to their receivers; unclaimed hops are split
// into contiguous, nearly equal runs among the receivers without a list.
// When every receiver has a list, unclaimed bands are not swept: they are
// returned so the caller can say so.
func AssignHops(hops []Hop, bandsOf [][]string) (shares [][]Hop, unswept []string, err error) {
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
				return nil, nil, fmt.Errorf("band %s is claimed by two receivers (%d and %d)", b, j, i)
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
			return nil, nil, fmt.Errorf("receiver %d: band %s has no hops in the plan", i, b)
		}
	}
	if len(rest) > 0 && len(free) == 0 {
		for _, h := range rest {
			if !slices.Contains(unswept, h.Band) {
				unswept = append(unswept, h.Band)
			}
		}
		return out, unswept, nil
	}
	for j, i := range free {
		lo := len(rest) * j / len(free)
		hi := len(rest) * (j + 1) / len(free)
		out[i] = append(out[i], rest[lo:hi]...)
	}
	return out, nil, nil
}
