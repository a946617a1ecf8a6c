package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"time"

	"github.com/cellwatch/cellwatch/pkg/alert"
	"github.com/cellwatch/cellwatch/pkg/config"
)

// liveKeys are the configuration keys a reload applies to the running
// daemon, each with what applies it. Every other key (sensor, plan,
// sources, storage, detect, most of alerts, web, log.format) is built into
// the receivers, the alert engine, the outbox or the listener at start-up:
// a reload accepts a change to them, keeps the running value and logs that
// a restart is needed. (web.config_file's *content* — certificates, users —
// is re-read by the HTTP server on every connection and needs neither.)
var liveKeys = map[string]func(d *daemon, c *config.Config) error{
	"log.level": func(d *daemon, c *config.Config) error {
		var lvl slog.Level
		_ = lvl.UnmarshalText([]byte(c.Log.Level)) // validated
		d.logLevel.Set(lvl)
		return nil
	},
	// Staff hours change; a sensor should not restart (and re-learn its
	// floors) for that.
	"alerts.allowlist": func(d *daemon, c *config.Config) error {
		d.alertMu.Lock()
		defer d.alertMu.Unlock()
		return d.setAllowlist(c)
	},
	// A new gate starts its M-of-K count afresh.
	"alerts.zones": func(d *daemon, c *config.Config) error {
		d.alertMu.Lock()
		defer d.alertMu.Unlock()
		d.al.gate = alert.NewGate(gateConfig(c))
		return nil
	},
}

// errNoConfigFile answers a reload of the built-in demo.
var errNoConfigFile = errors.New("cellwatch runs the built-in demo configuration (no --config.file): there is no file to reload")

// reload re-reads the configuration file (SIGHUP, POST /-/reload), applies
// the command-line overrides, validates the whole, and then either rejects
// it (the error says why; the running configuration stays) or applies the
// live keys and publishes it. Reloads run one at a time.
func (d *daemon) reload(trigger string) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	log := d.log.With("trigger", trigger)
	if d.cfgPath == "" {
		log.Warn("reload: nothing to reload", "err", errNoConfigFile)
		return errNoConfigFile
	}
	d.notify.reloading()
	defer d.notify.ready()
	cfg, err := config.Load(d.cfgPath, os.Environ())
	if err == nil {
		d.overrides(cfg)
		err = cfg.Validate()
	}
	if err != nil {
		d.m.ConfigReloadOK.Set(0)
		log.Error("reload: configuration rejected, keeping the running one", "file", d.cfgPath, "err", err)
		return err
	}
	changed := changedKeys(d.live.Load(), cfg)
	var applied []string
	for _, k := range changed {
		if apply, ok := liveKeys[k]; ok {
			if err := apply(d, cfg); err != nil {
				// Keys applied before this one stay applied; this one and
				// the rest keep their running values.
				d.m.ConfigReloadOK.Set(0)
				log.Error("reload: configuration rejected, keeping the running one", "file", d.cfgPath, "key", k, "applied", applied, "err", err)
				return fmt.Errorf("%s: %w", k, err)
			}
			applied = append(applied, k)
		}
	}
	d.live.Store(cfg)
	d.m.ConfigReloadOK.Set(1)
	d.m.ConfigReloadTime.Set(float64(time.Now().Unix()))
	// Compared with what the daemon started with, so the warning stays
	// until the restart.
	var restart []string
	for _, k := range changedKeys(d.cfg, cfg) {
		if _, ok := liveKeys[k]; !ok {
			restart = append(restart, k)
		}
	}
	log.Info("reload: configuration loaded", "file", d.cfgPath, "applied", applied)
	// Shows only at debug: proof that a new log.level took.
	log.Debug("reload: logging at debug level", "log.level", cfg.Log.Level)
	if len(restart) > 0 {
		log.Warn("reload: these keys changed but only take effect after a restart (systemctl restart cellwatch); the running values stay", "keys", restart)
	}
	return nil
}

// changedKeys lists the keys whose values differ between a and b: leaves
// by their dotted name ("detect.dwell"), lists as a whole ("sources").
func changedKeys(a, b *config.Config) []string {
	var out []string
	var walk func(prefix string, va, vb reflect.Value)
	walk = func(prefix string, va, vb reflect.Value) {
		t := va.Type()
		for i := range t.NumField() {
			tag := t.Field(i).Tag.Get("mapstructure")
			if tag == "" {
				continue
			}
			key := tag
			if prefix != "" {
				key = prefix + "." + tag
			}
			fa, fb := va.Field(i), vb.Field(i)
			if fa.Kind() == reflect.Struct && fa.Type() != reflect.TypeFor[time.Duration]() {
				walk(key, fa, fb)
				continue
			}
			if !reflect.DeepEqual(fa.Interface(), fb.Interface()) {
				out = append(out, key)
			}
		}
	}
	walk("", reflect.ValueOf(*a), reflect.ValueOf(*b))
	slices.Sort(out)
	return out
}
