package sim

import (
	"math"
	"testing"
	"time"
)

// liveWith is corridor-live with the given events.
func liveWith(events ...Event) *Scene {
	sc := corridorLive("test-live")
	sc.Events = events
	return sc
}

// floorDB is the median 10 kHz-bin level of x (dB, full scale 1): the noise
// floor where most bins hold no signal.
func floorDB(x []complex128) float64 { return db(median(welch(x, 240))) }

func TestAntennaCut(t *testing.T) {
	at := 300 * time.Millisecond
	cut := Event{Kind: EventAntennaCut, At: at}
	sc := liveWith(cut)
	// A strong CW carrier 100 kHz off the tune, 10 dB under full scale,
	// shows the attenuation itself 60 dB over the 1 kHz-bin floor.
	sc.Carriers = append(sc.Carriers, Carrier{Name: "cw", Kind: CarrierCW, FreqHz: 806.1e6, RxPowerDBm: DefaultFullScaleDBm - 10})
	s := mustNew(t, sc)
	s.Tune(806e6) // inside the B20 downlink carrier
	run(s, 100*time.Millisecond)
	p0 := welch(run(s, at), 2400)
	x1 := run(s, at+200*time.Millisecond)
	p1 := welch(x1, 2400)
	drop := db(p0[1200+100] / p1[1200+100])
	t.Logf("CW at 806.1 MHz drops %.2f dB at the cut", drop)
	if math.Abs(drop-DefaultCutLossDB) > 0.5 {
		t.Errorf("external CW dropped %.2f dB, want %.0f", drop, DefaultCutLossDB)
	}
	// What is left is the receiver alone: the same stream without any
	// external signal has the same power within 0.2 dB (the DL carrier is
	// now 24 dB − 40 dB under the noise per bin).
	bare := liveWith()
	bare.Phones, bare.Carriers, bare.Chirpers, bare.Tetras = nil, nil, nil, nil
	b := mustNew(t, bare)
	b.Tune(806e6)
	run(b, at)
	ref := meanPower(run(b, at+200*time.Millisecond))
	t.Logf("after the cut %.2f dBFS, receiver alone %.2f dBFS", db(meanPower(x1)), db(ref))
	if d := db(meanPower(x1) / ref); math.Abs(d) > 0.2 {
		t.Errorf("after the cut the stream is %.2f dB off the receiver's own noise", d)
	}

	// The receiver's noise floor and spurs do not move.
	s2 := mustNew(t, liveWith(cut))
	s2.Tune(835.0e6) // spur at 835.2 MHz, no traffic before 4 s
	run(s2, 50*time.Millisecond)
	q0, q1 := welch(run(s2, at), 2400), welch(run(s2, at+250*time.Millisecond), 2400)
	spur0, spur1 := db(q0[1200+200]/median(q0)), db(q1[1200+200]/median(q1))
	t.Logf("quiet hop: floor moves %.2f dB; 835.2 MHz spur %.1f → %.1f dB over the floor", db(median(q1)/median(q0)), spur0, spur1)
	if d := db(median(q1) / median(q0)); math.Abs(d) > 0.3 {
		t.Errorf("noise floor moved %.2f dB at the cut", d)
	}
	if spur0 < 10 || math.Abs(spur1-spur0) > 2 {
		t.Errorf("spur %.1f dB before, %.1f dB after the cut", spur0, spur1)
	}
}

func TestJammer(t *testing.T) {
	at := 150 * time.Millisecond
	sc := liveWith(Event{Kind: EventJammer, At: at, Until: 350 * time.Millisecond, LowHz: 880e6, HighHz: 915e6, RiseDB: 20})
	for _, c := range []struct {
		tune, rise float64
	}{{900e6, 20}, {914.5e6, -1}, {870e6, 0}} {
		s := mustNew(t, sc)
		s.Tune(c.tune)
		run(s, 50*time.Millisecond)
		x0 := run(s, at)
		x1 := run(s, at+200*time.Millisecond)
		run(s, 400*time.Millisecond)
		x2 := run(s, 500*time.Millisecond)
		p1 := welch(x1, 240)
		rise, end := floorDB(x1)-floorDB(x0), floorDB(x2)-floorDB(x0)
		t.Logf("tune %.1f MHz: floor rise %.2f dB while jammed, %.2f dB after", c.tune/1e6, rise, end)
		switch {
		case c.rise > 0 && math.Abs(rise-c.rise) > 1:
			t.Errorf("tune %.1f MHz: floor rose %.2f dB, want %.0f", c.tune/1e6, rise, c.rise)
		case c.rise == 0 && math.Abs(rise) > 0.3:
			t.Errorf("tune %.1f MHz outside the jammed band: floor moved %.2f dB", c.tune/1e6, rise)
		case c.rise < 0:
			// the band edge (915 MHz) is 0.5 MHz above the centre: jammed below, clean above
			below, above := db(median(p1[60:100])), db(median(p1[180:220]))
			t.Logf("  edge: %.1f dB below 915 MHz, %.1f dB above", below-floorDB(x0), above-floorDB(x0))
			if below-above < 15 {
				t.Errorf("jammer edge at 915 MHz: only %.1f dB between the sides", below-above)
			}
		}
		if math.Abs(end) > 0.3 {
			t.Errorf("tune %.1f MHz: floor %.2f dB off after the jammer stopped", c.tune/1e6, end)
		}
	}
}
