package sweep

import (
	"testing"

	"github.com/cellwatch/cellwatch/pkg/bands"
)

func TestAssignHops(t *testing.T) {
	hp, err := NewHopPlan(bands.EU, HopPlanConfig{SampleRate: 2.4e6})
	if err != nil {
		t.Fatal(err)
	}
	count := func(hs []Hop, band string) int {
		n := 0
		for _, h := range hs {
			if h.Band == band {
				n++
			}
		}
		return n
	}
	// Two free receivers split the plan into two contiguous halves.
	sh, unswept, err := AssignHops(hp.Hops, [][]string{nil, nil})
	if err != nil || len(unswept) != 0 || len(sh[0])+len(sh[1]) != len(hp.Hops) || len(sh[0])-len(sh[1]) > 1 {
		t.Fatalf("free split: %v %v %d+%d of %d", err, unswept, len(sh[0]), len(sh[1]), len(hp.Hops))
	}
	// One claims B8 and B3; the other takes the rest.
	sh, _, err = AssignHops(hp.Hops, [][]string{{"B8", "B3"}, nil})
	if err != nil || count(sh[0], "B8") != count(hp.Hops, "B8") || count(sh[1], "B8") != 0 || count(sh[1], "B28") != count(hp.Hops, "B28") {
		t.Fatalf("claimed split wrong: %v", err)
	}
	// Everyone lists bands: the rest is reported unswept.
	_, unswept, err = AssignHops(hp.Hops, [][]string{{"B8"}})
	if err != nil || len(unswept) != 3 {
		t.Fatalf("unswept %v, err %v", unswept, err)
	}
	if _, _, err := AssignHops(hp.Hops, [][]string{{"B8"}, {"B8"}}); err == nil {
		t.Error("a band claimed twice was accepted")
	}
}
