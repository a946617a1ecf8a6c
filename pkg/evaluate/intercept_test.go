package evaluate

import (
	"testing"
	"time"
)

func TestInterceptTwoReceiversHalveThePass(t *testing.T) {
	sw, err := EUSweep(6*time.Millisecond, 5*time.Millisecond, time.Second, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MeasureIntercept(sw, 0, time.Second, 6, 5*time.Second, 1); err == nil {
		t.Error("0 receivers accepted")
	}
	one, err := MeasureIntercept(sw, 1, time.Second, 6, 20*time.Second, 1)
	if err != nil {
		t.Fatal(err)
	}
	two, err := MeasureIntercept(sw, 2, time.Second, 6, 20*time.Second, 1)
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := time.ParseDuration(one.Pass)
	p2, _ := time.ParseDuration(two.Pass)
	if p1 != 89*11*time.Millisecond || p2 > p1/2+11*time.Millisecond {
		t.Errorf("pass %v with one dongle, %v with two", p1, p2)
	}
	// The same scene and seed: the same events, whoever sweeps.
	if one.Events == 0 || one.Events != two.Events {
		t.Errorf("events: %d with one dongle, %d with two", one.Events, two.Events)
	}
	// Twice the looks: the schedule lets no fewer through.
	if two.Heard < one.Heard {
		t.Errorf("a transmission overlapped a dwell for %.2f of events with two dongles, %.2f with one", two.Heard, one.Heard)
	}
	for _, ic := range []Intercept{one, two} {
		if ic.P > ic.Heard {
			t.Errorf("%d dongle(s): caught %.2f of events, more than the %.2f the schedule heard", ic.Receivers, ic.P, ic.Heard)
		}
	}
}
