package main

import (
	"slices"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/config"
)

func TestChangedKeys(t *testing.T) {
	a := config.Default()
	if got := changedKeys(a, config.Default()); len(got) != 0 {
		t.Errorf("identical configs differ in %v", got)
	}
	b := config.Default()
	b.Log.Level = "debug"
	b.Detect.Dwell = 40 * time.Millisecond
	b.Sources[0].Seed = 9
	b.Web.ConfigFile = "/etc/cellwatch/web.yml"
	want := []string{"detect.dwell", "log.level", "sources", "web.config_file"}
	if got := changedKeys(a, b); !slices.Equal(got, want) {
		t.Errorf("changed %v, want %v", got, want)
	}
	// Only log.level is applied live; the rest wait for a restart.
	for _, k := range want {
		_, live := liveKeys[k]
		if live != (k == "log.level") {
			t.Errorf("%s: live %v", k, live)
		}
	}
}
