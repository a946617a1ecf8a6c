package main

import (
	"context"
	"fmt"
	"time"

	"github.com/cellwatch/cellwatch/pkg/config"
	"github.com/cellwatch/cellwatch/pkg/iq"
	"github.com/cellwatch/cellwatch/pkg/sim"
	"github.com/cellwatch/cellwatch/pkg/source"
	"github.com/cellwatch/cellwatch/pkg/source/rtlsdr"
	"github.com/cellwatch/cellwatch/pkg/source/rtltcp"
)

// openSource opens the i-th configured receiver. The daemon calls it at
// start and again to reopen a receiver that failed; ctx cuts a slow
// connection attempt short on shutdown.
func openSource(ctx context.Context, i int, sc config.Source) (source.Source, error) {
	switch sc.Kind {
	case config.KindSim:
		scene, err := sim.Load(sc.Scene)
		if err != nil {
			return nil, fmt.Errorf("sources[%d].scene: %w", i, err)
		}
		if scene, err = scene.ForSensor(sc.SceneSensor); err != nil {
			return nil, fmt.Errorf("sources[%d].scene_sensor: %w", i, err)
		}
		if sc.Seed != 0 {
			scene.Seed = sc.Seed
		}
		s, err := source.NewSim(sc.Name, scene, sc.SampleRate, sc.Realtime)
		if err != nil {
			return nil, fmt.Errorf("sources[%d]: %w", i, err)
		}
		return s, nil
	case config.KindFile:
		var f iq.Format
		if sc.Format != "" {
			var err error
			if f, err = iq.ParseFormat(sc.Format); err != nil {
				return nil, fmt.Errorf("sources[%d].format: %w", i, err)
			}
		}
		s, err := source.OpenFile(sc.Path, source.FileOptions{Name: sc.Name, Format: f, SampleRate: sc.SampleRate, CenterFreq: sc.CenterFreq})
		if err != nil {
			return nil, fmt.Errorf("sources[%d]: %w", i, err)
		}
		if sc.Realtime {
			return source.NewPaced(s), nil
		}
		return s, nil
	case config.KindRTLTCP:
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c, err := rtltcp.Dial(ctx, rtltcp.Config{Name: sc.Name, Address: sc.Address, SampleRate: sc.SampleRate,
			GainDB: sc.GainDB, PPM: sc.PPM, BiasTee: sc.BiasTee})
		if err != nil {
			return nil, fmt.Errorf("sources[%d] (%s): %w", i, sc.Name, err)
		}
		return c, nil
	case config.KindRTLSDR:
		d, err := rtlsdr.Open(rtlsdr.Config{Name: sc.Name, Serial: sc.Serial, SampleRate: sc.SampleRate,
			GainDB: sc.GainDB, PPM: sc.PPM, BiasTee: sc.BiasTee})
		if err != nil {
			return nil, fmt.Errorf("sources[%d] (%s): %w", i, sc.Name, err)
		}
		return d, nil
	}
	return nil, fmt.Errorf("sources[%d].kind: %q receivers are not supported by this build yet", i, sc.Kind)
}
