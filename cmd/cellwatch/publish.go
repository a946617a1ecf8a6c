package main

import (
	"math"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/server"
	"github.com/cellwatch/cellwatch/pkg/sweep"
)

// The sweep side publishes to the HTTP side and to systemd here; nothing
// flows back.

// markReady flips /-/ready and tells systemd, once the first sweep (or the
// first chunk of a recording) completed.
func (d *daemon) markReady() {
	d.srv.SetReady(true)
	d.notify.firstSweep()
}

// publishHop makes the hop's levels visible on /api/v1/spectrum and
// records the receiver's progress for the watchdog.
func (d *daemon) publishHop(r *receiver, h *sweep.HopReport) {
	unit := "dBm"
	if r.fullDBm != r.fullDBm { // NaN: uncalibrated
		unit = "dBFS"
	}
	// The spectrum copies the levels: r.spectrum is reused hop after hop.
	sp := &r.spectrum
	d.spectrum.Update(server.HopLevel{
		Device: r.cfg.Name, Band: h.Hop.Band, CenterHz: h.Hop.CenterHz, LowHz: h.Hop.LowHz, HighHz: h.Hop.HighHz,
		Unit: unit, Floor: sp.level(&sp.floor, r.dBm(h.FloorDBFS)), Peak: sp.level(&sp.peak, r.dBm(h.PeakDBFS)),
		Occupancy: h.Occupancy, Time: h.Wall, Bins: hopBins(&sp.bins, r, h),
	})
	// The band's blind flag exists (at 0) from its first hop on, so that
	// dashboards and rules see every swept band; the tamper detector sets it.
	d.m.SensorBlind.WithLabelValues(h.Hop.Band).Add(0)
	d.notify.hop(r.cfg.Name, time.Now())
}

// hopScratch holds one receiver's hop levels while server.Spectrum copies
// them: reused for every hop, so publishing allocates nothing.
type hopScratch struct {
	floor, peak float64
	bins        server.HopBins
}

// level is server.Level without the allocation: v in *at, or nil.
func (hopScratch) level(at *float64, v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	*at = v
	return at
}

// hopBins converts the hop's per-bin levels (the sweeper reuses its
// buffers) to the receiver's unit, into b.
func hopBins(b *server.HopBins, r *receiver, h *sweep.HopReport) *server.HopBins {
	if len(h.PeakBins) == 0 {
		return nil
	}
	b.FirstHz, b.StepHz = h.FirstBinHz, h.BinHz
	b.Floor, b.Peak = b.Floor[:0], b.Peak[:0]
	for k := range h.FloorBins {
		b.Floor = append(b.Floor, r.dBm(10*math.Log10(float64(h.FloorBins[k]))))
		b.Peak = append(b.Peak, r.dBm(10*math.Log10(float64(h.PeakBins[k]))))
	}
	return b
}

// publishEmission adds a detected handset emission to /api/v1/emissions.
func (d *daemon) publishEmission(r *receiver, e detect.Emission, first, last time.Time) {
	rec := server.Emission{
		FirstSeen: first.UTC(), LastSeen: last.UTC(),
		Site: d.cfg.Sensor.Site, Sensor: d.cfg.Sensor.ID, Zone: d.cfg.Sensor.Zone, Source: r.cfg.Name,
		FreqHz: e.FreqHz, BandwidthHz: e.BandwidthHz, Tech: string(e.Tech), Band: e.Band, Bursts: e.Bursts,
		SNRdB: e.SNRdB, PowerDBFS: e.PowerDBFS,
	}
	if e.HasDBm {
		rec.PowerDBm = &e.PowerDBm
	}
	d.emissions.Add(rec)
}

// feedWatchdog pings systemd's watchdog while every sweeping receiver
// progresses; receivers being reopened and recordings are left out.
func (d *daemon) feedWatchdog(now time.Time) {
	var sweeping []string
	for _, r := range d.rx {
		r.healthMu.Lock()
		failed := r.failed
		r.healthMu.Unlock()
		if !r.stream && !failed {
			sweeping = append(sweeping, r.cfg.Name)
		}
	}
	if stuck := d.notify.tick(now, sweeping); len(stuck) > 0 {
		d.log.Error("receivers completed no hop for too long; no longer feeding the systemd watchdog, which will restart cellwatch",
			"receivers", stuck, "after", d.notify.stuckAfter())
	}
}
