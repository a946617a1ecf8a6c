package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/sim"
	"github.com/cellwatch/cellwatch/pkg/source"
	"github.com/cellwatch/cellwatch/pkg/source/rtltcp"
)

// serveSim starts our rtl_tcp server on addr in front of a fresh simulated
// corridor (client-paced: as fast as the daemon reads).
func serveSim(t *testing.T, addr string) *rtltcp.Server {
	t.Helper()
	sc, _ := sim.Builtin("corridor-small")
	src, err := source.NewSim("sim", sc, 2.4e6, false)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := rtltcp.NewServer(rtltcp.ServerConfig{Addr: addr, Source: src})
	if err != nil {
		t.Fatal(err)
	}
	// The port may linger for a moment after the previous server closed.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err = srv.Listen(); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	go srv.ListenAndServe(context.Background())
	return srv
}

// rtltcpDaemonSetup starts our rtl_tcp server and writes a config whose
// one receiver sweeps B8 through it.
func rtltcpDaemonSetup(t *testing.T) (srvAddr, webAddr string, srv *rtltcp.Server, cfgFile string) {
	t.Helper()
	srvAddr, webAddr = freeAddr(t), freeAddr(t)
	cfgFile = filepath.Join(t.TempDir(), "cellwatch.yaml")
	cfg := fmt.Sprintf(`sensor: {site: s, id: s1, zone: z}
sources:
  - {name: tcp0, kind: rtltcp, address: %q, sample_rate: 2400000, bands: [B8]}
web: {listen_address: %q}
`, srvAddr, webAddr)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return srvAddr, webAddr, serveSim(t, srvAddr), cfgFile
}

var metricLine = regexp.MustCompile(`(?m)^(cellwatch_sdr_up|cellwatch_sdr_reconnects_total)\{device="tcp0"\} (\S+)$`)

func scrape(t *testing.T, addr string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range metricLine.FindAllStringSubmatch(get(t, "http://"+addr+"/metrics"), -1) {
		out[m[1]] = m[2]
	}
	return out
}

// TestDaemonOverRTLTCP: the daemon sweeps through our rtl_tcp server,
// detects the simulated phones, and survives the server being killed and
// restarted: sdr_up goes 0 then 1, the reconnect is counted, detections
// resume within 5 s.
func TestDaemonOverRTLTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon against an rtl_tcp server for 12 s")
	}
	srvAddr, webAddr, srv, cfgFile := rtltcpDaemonSetup(t)
	var out, errb syncBuffer
	done := make(chan int)
	go func() { done <- run([]string{"run", "--config.file=" + cfgFile, "--run.duration=12s"}, &out, &errb) }()
	waitReady(t, webAddr, 10*time.Second)
	waitFor := func(what string, within time.Duration, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s not seen within %v\nstdout:\n%s\nstderr:\n%s", what, within, out.String(), errb.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	detections := func() int { return strings.Count(out.String(), "tech=gsm") }
	waitFor("a GSM detection through rtl_tcp", 5*time.Second, func() bool { return detections() > 0 })

	srv.Close()
	waitFor("sdr_up 0 while the server is down", 5*time.Second, func() bool { return scrape(t, webAddr)["cellwatch_sdr_up"] == "0" })
	before := detections()
	restarted := time.Now()
	serveSim(t, srvAddr)
	waitFor("sdr_up 1 after the restart", 5*time.Second, func() bool { return scrape(t, webAddr)["cellwatch_sdr_up"] == "1" })
	waitFor("detections after the restart", 5*time.Second, func() bool { return detections() > before })
	t.Logf("detections resumed %v after the server restarted", time.Since(restarted).Round(10*time.Millisecond))
	if m := scrape(t, webAddr); m["cellwatch_sdr_reconnects_total"] == "0" {
		t.Errorf("reconnect not counted: %v", m)
	}
	if rc := <-done; rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
}

// TestDaemonExitsWhenReceiverLost: an rtl_tcp server that goes away for
// good ends the daemon with exit code 3 (for systemd to restart it).
func TestDaemonExitsWhenReceiverLost(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a stall and the give-up window")
	}
	old := failureWindow
	failureWindow = 3 * time.Second
	defer func() { failureWindow = old }()
	_, webAddr, srv, cfgFile := rtltcpDaemonSetup(t)
	var out, errb syncBuffer
	done := make(chan int)
	go func() { done <- run([]string{"run", "--config.file=" + cfgFile, "--run.duration=60s"}, &out, &errb) }()
	waitReady(t, webAddr, 10*time.Second)
	srv.Close()
	select {
	case rc := <-done:
		if rc != exitReceiverLost || !strings.Contains(errb.String(), "receiver tcp0 lost") {
			t.Fatalf("exit %d, want %d; stderr:\n%s", rc, exitReceiverLost, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon did not give up on a receiver gone for good")
	}
}
