// Package deploy holds the files that install and monitor cellwatch on a
// sensor box and at a site: the systemd unit, the udev rule, the modprobe
// blacklist, Prometheus scrape config and rules, Alertmanager routing and
// Grafana dashboards. Its tests check them with the real tools (systemd-
// analyze, promtool, amtool); a tool that is not installed skips its check
// with the reason (scripts/test.sh installs them on CI).
package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (Debian package %s; scripts/test.sh installs it as root)", name, pkg)
	}
	return p
}

func runTool(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestSystemdUnitVerifies runs systemd-analyze verify on the unit. It exits
// 0 on unknown keys and bad values, so any line it prints is a failure.
// verify also insists that ExecStart's program exists: the copy checked
// points it at an executable here (this test's own binary) instead of
// /usr/local/bin/cellwatch.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze := tool(t, "systemd-analyze", "systemd")
	unit, err := os.ReadFile("systemd/cellwatch.service")
	if err != nil {
		t.Fatal(err)
	}
	const bin = "/usr/local/bin/cellwatch"
	if !strings.Contains(string(unit), "ExecStart="+bin+" run --config.file=/etc/cellwatch/cellwatch.yaml") {
		t.Fatalf("ExecStart is not %s run --config.file=/etc/cellwatch/cellwatch.yaml", bin)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cellwatch.service"), []byte(strings.ReplaceAll(string(unit), bin, self)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "verify", "./cellwatch.service")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The keys the daemon's contract relies on.
	for _, want := range []string{"Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
		"RestartPreventExitStatus=2", "DynamicUser=yes", "SupplementaryGroups=plugdev", "StateDirectory=cellwatch",
		"DevicePolicy=closed", "DeviceAllow=char-usb_device rw", "ProtectSystem=strict", "PrivateTmp=yes"} {
		if !strings.Contains(string(unit), "\n"+want) {
			t.Errorf("unit lacks %s", want)
		}
	}
}

// Exit codes the unit's restart policy is written for; they must match
// cmd/cellwatch/main.go.
func TestUnitMatchesExitCodes(t *testing.T) {
	src, err := os.ReadFile("../cmd/cellwatch/main.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"exitUsage        = 2", "exitReceiverLost = 3"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("cmd/cellwatch/main.go no longer has %q: review RestartPreventExitStatus and Restart= in systemd/cellwatch.service", want)
		}
	}
}

func TestPrometheusRules(t *testing.T) {
	promtool := tool(t, "promtool", "prometheus")
	out := runTool(t, "prometheus/rules", promtool, "check", "rules", "cellwatch-recording.rules.yml", "cellwatch-alerts.rules.yml")
	if strings.Count(out, "SUCCESS") != 2 {
		t.Errorf("promtool check rules:\n%s", out)
	}
	out = runTool(t, "prometheus/rules", promtool, "test", "rules", "cellwatch-alerts.test.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules:\n%s", out)
	}
	out = runTool(t, "prometheus", promtool, "check", "config", "prometheus.yml")
	if !strings.Contains(out, "is valid prometheus config file syntax") {
		t.Errorf("promtool check config:\n%s", out)
	}
}

// Every alert the rules define is tested and explained in the install
// guide's runbook.
func TestEveryAlertTestedAndDocumented(t *testing.T) {
	rules, err := os.ReadFile("prometheus/rules/cellwatch-alerts.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile("prometheus/rules/cellwatch-alerts.test.yml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/install.md")
	if err != nil {
		t.Fatal(err)
	}
	alerts := regexp.MustCompile(`(?m)^\s*- alert: (\w+)$`).FindAllStringSubmatch(string(rules), -1)
	if len(alerts) < 6 {
		t.Fatalf("only %d alerts", len(alerts))
	}
	for _, a := range alerts {
		name := a[1]
		if !regexp.MustCompile(`alertname: ` + name + `\n\s*exp_alerts:\n\s*- exp_labels`).Match(tests) {
			t.Errorf("%s: no promtool test expects it to fire", name)
		}
		if !strings.Contains(string(doc), "### "+name) {
			t.Errorf("%s: docs/install.md has no \"### %s\" runbook section", name, name)
		}
	}
}

func TestAlertmanagerConfig(t *testing.T) {
	amtool := tool(t, "amtool", "prometheus-alertmanager")
	out := runTool(t, "alertmanager", amtool, "check-config", "alertmanager.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("amtool check-config:\n%s", out)
	}
	for labels, want := range map[string]string{
		"alertname=CellwatchPhoneDetected team=security severity=threat":  "control-room,security-email",
		"alertname=CellwatchJamming team=security severity=critical":      "control-room,security-email",
		"alertname=CellwatchSensorDown team=operations severity=critical": "operations-email",
	} {
		args := append([]string{"config", "routes", "test", "--config.file=alertmanager.yml"}, strings.Fields(labels)...)
		cmd := exec.Command(amtool, args...)
		cmd.Dir = "alertmanager"
		got, err := cmd.Output() // stderr has a harmless warning about --alertmanager.url
		if err != nil || strings.TrimSpace(string(got)) != want {
			t.Errorf("%s routes to %q (%v), want %s", labels, strings.TrimSpace(string(got)), err, want)
		}
	}
}

// The udev rule gives the RTL2832U dongles to plugdev; every line is a
// well-formed match on a 4-hex-digit vendor and product.
func TestUdevRule(t *testing.T) {
	f, err := os.Open("udev/60-cellwatch-rtlsdr.rules")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^SUBSYSTEM=="usb", ENV\{DEVTYPE\}=="usb_device", ATTRS\{idVendor\}=="([0-9a-f]{4})", ATTRS\{idProduct\}=="([0-9a-f]{4})", MODE="0660", GROUP="plugdev", ENV\{ID_SOFTWARE_RADIO\}="1"$`)
	ids := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		s := sc.Text()
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		m := line.FindStringSubmatch(s)
		if m == nil {
			t.Errorf("line %d is not a plugdev rule for one VID:PID: %s", n, s)
			continue
		}
		ids[m[1]+":"+m[2]] = true
	}
	for _, want := range []string{"0bda:2838", "0bda:2832"} {
		if !ids[want] {
			t.Errorf("no rule for %s (RTL2838/RTL2832U)", want)
		}
	}
}

func TestModprobeBlacklist(t *testing.T) {
	b, err := os.ReadFile("modprobe/cellwatch-blacklist-rtl28xxu.conf")
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		if len(f) != 2 || f[0] != "blacklist" {
			t.Errorf("not a blacklist line: %q", l)
			continue
		}
		mods[f[1]] = true
	}
	for _, want := range []string{"dvb_usb_rtl28xxu", "rtl2832", "rtl2832_sdr", "e4000"} {
		if !mods[want] {
			t.Errorf("%s not blacklisted", want)
		}
	}
}
