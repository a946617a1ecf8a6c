package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// opsConfig is a small real-time sim configuration on one band, gentle on
// a shared CPU. extra is appended (YAML at the top level).
func opsConfig(t *testing.T, dir, addr, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`sensor: {site: ops-site, id: ops-sensor, zone: B2-cells}
plan: eu
sources:
  - {name: sim0, kind: sim, scene: corridor-small, seed: 3, sample_rate: 2400000, realtime: true, bands: [B8]}
web: {listen_address: %q}
%s`, addr, extra)
	path := filepath.Join(dir, "cellwatch.yaml")
	writeFile(t, path, cfg)
	return path
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	// Write then rename, as editors and config management do, so the
	// daemon never reads half a file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// runInBackground runs the daemon with args; wait returns its exit code.
func runInBackground(args ...string) (out, errb *syncBuffer, wait func() int) {
	out, errb = &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(args, out, errb) }()
	return out, errb, func() int { return <-done }
}

// metricValue reads one sample (name with its label set, as exposed) from
// a scrape, or returns NaN-free false when it is absent.
func metricValue(body, series string) (float64, bool) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

// eventually polls cond every 50 ms for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v", what, d)
}

// TestReload: a good and a bad configuration, over POST /-/reload and over
// SIGHUP. A bad one is rejected with its error, the running one kept (the
// daemon keeps serving), and cellwatch_config_last_reload_successful says so.
func TestReload(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real-time daemon for 12 s")
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	good := `detect: {warmup: 0s}
log: {level: info}
`
	cfgFile := opsConfig(t, dir, addr, good)
	_, errb, wait := runInBackground("run", "--config.file="+cfgFile, "--run.duration=12s")
	waitReady(t, addr, 10*time.Second)
	base := "http://" + addr
	reloadOK := func() float64 {
		v, ok := metricValue(get(t, base+"/metrics"), "cellwatch_config_last_reload_successful")
		if !ok {
			t.Fatal("cellwatch_config_last_reload_successful not exported")
		}
		return v
	}
	post := func() (int, string) {
		r, err := http.Post(base+"/-/reload", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	startStamp, _ := metricValue(get(t, base+"/metrics"), "cellwatch_config_last_reload_success_timestamp_seconds")

	// HTTP, good: the same file again.
	if code, body := post(); code != 200 || reloadOK() != 1 {
		t.Fatalf("good reload over HTTP: %d %q, successful=%v", code, body, reloadOK())
	}
	// HTTP, bad: every problem named, 500, gauge 0, still serving.
	opsConfig(t, dir, addr, good+"alerts: {quiet: -1s}\n")
	code, body := post()
	if code != 500 || !strings.Contains(body, "alerts.quiet: -1s must be greater than 0") || !strings.Contains(body, "running one is kept") {
		t.Fatalf("bad reload over HTTP: %d %q", code, body)
	}
	if reloadOK() != 0 {
		t.Error("cellwatch_config_last_reload_successful stays 1 after a rejected reload")
	}
	if r := get(t, base+"/-/ready"); !strings.Contains(r, "ready") {
		t.Errorf("not ready after a rejected reload: %q", r)
	}
	// SIGHUP, good: log.level applies live, alerts.quiet needs a restart.
	opsConfig(t, dir, addr, "detect: {warmup: 0s}\nlog: {level: debug}\nalerts: {quiet: 90s}\n")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "good reload over SIGHUP", func() bool { return reloadOK() == 1 })
	stamp, _ := metricValue(get(t, base+"/metrics"), "cellwatch_config_last_reload_success_timestamp_seconds")
	if stamp < startStamp || stamp < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("success timestamp %v not refreshed (start %v)", stamp, startStamp)
	}
	// SIGHUP, bad: an unknown key.
	opsConfig(t, dir, addr, "detect: {warmup: 0s, dwel: 40ms}\n")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "bad reload over SIGHUP", func() bool { return reloadOK() == 0 })
	if rc := wait(); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	logs := errb.String()
	for _, want := range []string{
		`msg="reload: configuration loaded" trigger="POST /-/reload"`,
		`msg="reload: configuration rejected, keeping the running one" trigger="POST /-/reload"`,
		`msg="reload: configuration loaded" trigger=SIGHUP`,
		`applied=[log.level]`,
		`keys=[alerts.quiet]`,
		`msg="reload: configuration rejected, keeping the running one" trigger=SIGHUP`,
		`detect.dwel`,
		"level=DEBUG", // log.level: debug took effect without a restart
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
}

// TestWebConfigTLSAndBasicAuth: --web.config.file (exporter-toolkit) turns
// on TLS and basic auth: 401 without or with wrong credentials, 200 with.
func TestWebConfigTLSAndBasicAuth(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real-time daemon for 6 s")
	}
	dir := t.TempDir()
	certPEM, keyPEM := selfSignedCert(t)
	writeFile(t, filepath.Join(dir, "tls.crt"), string(certPEM))
	writeFile(t, filepath.Join(dir, "tls.key"), string(keyPEM))
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(dir, "web.yml")
	writeFile(t, webCfg, fmt.Sprintf("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\nbasic_auth_users:\n  prometheus: %s\n", hash))
	addr := freeAddr(t)
	cfgFile := opsConfig(t, dir, addr, "")

	// A broken web configuration is refused at start, naming the key.
	badWeb := filepath.Join(dir, "bad-web.yml")
	writeFile(t, badWeb, "basic_auth_users:\n  prometheus: not-a-bcrypt-hash\n")
	var o, e syncBuffer
	if rc := run([]string{"run", "--config.file=" + cfgFile, "--web.config.file=" + badWeb}, &o, &e); rc != exitError ||
		!strings.Contains(e.String(), "web.config_file: \""+badWeb+"\"") {
		t.Errorf("bad web config: exit %d, %q", rc, e.String())
	}

	_, errb, wait := runInBackground("run", "--config.file="+cfgFile, "--web.config.file="+webCfg, "--run.duration=6s")
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	do := func(url, user, pass string) (int, string) {
		req, _ := http.NewRequest("GET", url, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		r, err := client.Do(req)
		if err != nil {
			return -1, err.Error()
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	base := "https://" + addr
	eventually(t, 10*time.Second, "ready over TLS", func() bool {
		code, _ := do(base+"/-/ready", "prometheus", "s3cret pass")
		return code == 200
	})
	if code, _ := do(base+"/metrics", "", ""); code != 401 {
		t.Errorf("no credentials: %d, want 401", code)
	}
	if code, _ := do(base+"/metrics", "prometheus", "wrong"); code != 401 {
		t.Errorf("wrong password: %d, want 401", code)
	}
	if code, _ := do(base+"/api/v1/emissions", "", ""); code != 401 {
		t.Errorf("API without credentials: %d, want 401", code)
	}
	if code, body := do(base+"/metrics", "prometheus", "s3cret pass"); code != 200 || !strings.Contains(body, "cellwatch_build_info{") {
		t.Errorf("with credentials: %d %.200s", code, body)
	}
	// Plain HTTP to the TLS port gets no metrics.
	if r, err := http.Get("http://" + addr + "/metrics"); err == nil {
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode == 200 || strings.Contains(string(b), "cellwatch_") {
			t.Errorf("plain HTTP on the TLS port: %d %.100s", r.StatusCode, b)
		}
	}
	if rc := wait(); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	if !strings.Contains(errb.String(), `msg="TLS is enabled."`) {
		t.Errorf("the toolkit did not report TLS: %s", errb.String())
	}
}

func selfSignedCert(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cellwatch test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// TestSystemdNotify: under systemd (a $NOTIFY_SOCKET and a watchdog), the
// daemon says READY=1 after its first sweep, feeds the watchdog while it
// sweeps, brackets a reload with RELOADING=1/READY=1 and says STOPPING=1.
func TestSystemdNotify(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real-time daemon for 5 s")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "1500000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	var got []string
	received := make(chan struct{})
	go func() {
		defer close(received)
		buf := make([]byte, 256)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			got = append(got, string(buf[:n]))
			if string(buf[:n]) == "STOPPING=1" {
				return
			}
		}
	}()
	addr := freeAddr(t)
	cfgFile := opsConfig(t, dir, addr, "")
	_, errb, wait := runInBackground("run", "--config.file="+cfgFile, "--run.duration=5s")
	waitReady(t, addr, 10*time.Second)
	time.Sleep(2 * time.Second)
	if r, err := http.Post("http://"+addr+"/-/reload", "", nil); err != nil || r.StatusCode != 200 {
		t.Fatalf("reload: %v %v", r, err)
	}
	if rc := wait(); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	select {
	case <-received:
	case <-time.After(2 * time.Second):
		t.Fatalf("no STOPPING=1; got %q", got)
	}
	seq := strings.Join(got, " ")
	// Watchdog pings may come before readiness (a slow first sweep must
	// not trip the watchdog); any other state comes after READY=1.
	var states []string
	for _, s := range got {
		if s != "WATCHDOG=1" {
			states = append(states, s)
		}
	}
	if len(states) == 0 || states[0] != "READY=1" || got[len(got)-1] != "STOPPING=1" {
		t.Errorf("want READY=1 first (watchdog pings aside) and STOPPING=1 last, got %s", seq)
	}
	if n := strings.Count(seq, "WATCHDOG=1"); n < 3 {
		t.Errorf("watchdog fed %d times in ~4 s with WatchdogSec=1.5s, want ≥ 3: %s", n, seq)
	}
	if !strings.Contains(seq, "RELOADING=1 READY=1") {
		t.Errorf("reload not bracketed by RELOADING=1 READY=1: %s", seq)
	}
}

// TestPromtoolCheckMetrics lints a live scrape of the demo daemon with
// Prometheus's own linter.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus; scripts/test.sh installs it as root)")
	}
	if testing.Short() {
		t.Skip("runs the real-time daemon for 4 s")
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	cfgFile := opsConfig(t, dir, addr, "detect: {warmup: 0s}\n")
	_, errb, wait := runInBackground("run", "--config.file="+cfgFile, "--run.duration=4s")
	waitReady(t, addr, 10*time.Second)
	time.Sleep(2 * time.Second) // detections and alerts: every labelled series present
	body := get(t, "http://"+addr+"/metrics")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	for _, series := range []string{"cellwatch_sensor_blind{band=\"B8\"}", "cellwatch_sdr_up{device=\"sim0\"}"} {
		if _, ok := metricValue(body, series); !ok {
			t.Errorf("scrape lacks %s", series)
		}
	}
	if rc := wait(); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
}
