package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// Dashboard is the part of a Grafana dashboard JSON the tests read.
type dashboard struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID         int    `json:"id"`
		Type       string `json:"type"`
		Title      string `json:"title"`
		Datasource *struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		GridPos struct{ X, Y, W, H int } `json:"gridPos"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

const dashboardDir = "../../deploy/grafana/dashboards"

func loadDashboards(t *testing.T) map[string]dashboard {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dashboardDir, "*.json"))
	if err != nil || len(files) < 2 {
		t.Fatalf("dashboards in %s: %v %v", dashboardDir, files, err)
	}
	out := map[string]dashboard{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = d
	}
	return out
}

// TestDashboardsWellFormed checks what Grafana's file provisioning needs:
// unique stable uids, unique panel ids, panels inside the 24-column grid,
// a templated data source (no hard-coded uid) and a query on every panel.
func TestDashboardsWellFormed(t *testing.T) {
	uids := map[string]string{}
	for name, d := range loadDashboards(t) {
		if d.UID == "" || len(d.UID) > 40 || d.Title == "" {
			t.Errorf("%s: uid %q / title %q", name, d.UID, d.Title)
		}
		if other, dup := uids[d.UID]; dup {
			t.Errorf("%s and %s share uid %s", name, other, d.UID)
		}
		uids[d.UID] = name
		hasDS := false
		for _, v := range d.Templating.List {
			hasDS = hasDS || (v.Name == "datasource" && v.Type == "datasource")
		}
		if !hasDS {
			t.Errorf("%s: no datasource template variable", name)
		}
		ids := map[int]bool{}
		for _, p := range d.Panels {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d used twice", name, p.ID)
			}
			ids[p.ID] = true
			if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X < 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("%s: panel %q outside the 24-column grid: %+v", name, p.Title, p.GridPos)
			}
			if p.Type == "row" {
				continue
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
				t.Errorf("%s: panel %q does not use the ${datasource} variable", name, p.Title)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", name, p.Title)
			}
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("%s: panel %q target %s has no expr", name, p.Title, tg.RefID)
				}
			}
		}
	}
}

// TestDashboardQueriesAgainstPrometheus runs the demo daemon and a real
// Prometheus (Debian's) scraping it every second with the deploy rules
// loaded, then runs every template variable's and every panel's PromQL
// through Prometheus's HTTP API: each must parse and return data.
func TestDashboardQueriesAgainstPrometheus(t *testing.T) {
	prom, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus not installed (Debian package prometheus; scripts/test.sh installs it as root)")
	}
	if testing.Short() {
		t.Skip("runs the real-time daemon and Prometheus for ~20 s")
	}
	dir := t.TempDir()
	// A control room that takes every event, so the outbox and delivery
	// series exist.
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer recv.Close()
	keyFile := filepath.Join(dir, "hook.key")
	writeFile(t, keyFile, "0123456789abcdef0123456789abcdef")
	addr := freeAddr(t)
	cfgFile := opsConfig(t, dir, addr, fmt.Sprintf("detect: {warmup: 0s}\nalerts: {webhooks: [{url: %q, secret_file: %q}]}\n", recv.URL+"/hook", keyFile))
	_, errb, wait := runInBackground("run", "--config.file="+cfgFile, "--run.duration=20s")
	defer func() {
		if rc := wait(); rc != 0 {
			t.Errorf("daemon exit %d: %s", rc, errb.String())
		}
	}()

	rules, err := filepath.Abs("../../deploy/prometheus/rules")
	if err != nil {
		t.Fatal(err)
	}
	promAddr := freeAddr(t)
	promCfg := filepath.Join(dir, "prometheus.yml")
	writeFile(t, promCfg, fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q, %q]
scrape_configs:
  - job_name: cellwatch
    static_configs:
      - targets: [%q]
        labels: {site: ops-site, sensor: ops-sensor}
`, filepath.Join(rules, "cellwatch-recording.rules.yml"), filepath.Join(rules, "cellwatch-alerts.rules.yml"), addr))
	var promLog syncBuffer
	cmd := exec.Command(prom, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &promLog, &promLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	api := "http://" + promAddr + "/api/v1/query"
	query := func(q string) (n int, errMsg string) {
		r, err := http.PostForm(api, url.Values{"query": {q}})
		if err != nil {
			return 0, err.Error()
		}
		defer r.Body.Close()
		var res struct {
			Status string `json:"status"`
			Error  string `json:"error"`
			Data   struct {
				Result json.RawMessage `json:"result"`
			} `json:"data"`
		}
		if err := json.NewDecoder(r.Body).Decode(&res); err != nil {
			return 0, err.Error()
		}
		if res.Status != "success" {
			return 0, res.Error
		}
		var vec []json.RawMessage
		if err := json.Unmarshal(res.Data.Result, &vec); err != nil {
			return 1, "" // a scalar
		}
		return len(vec), ""
	}
	eventually(t, 20*time.Second, "Prometheus scraping the daemon", func() bool {
		n, _ := query(`up{job="cellwatch"} == 1`)
		return n == 1
	})

	// Template variables: label_values(EXPR, LABEL) must find the label.
	vars := map[string]string{"site": "ops-site", "sensor": "ops-sensor"}
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`)
	subst := func(q string) string {
		for k, v := range vars {
			q = strings.ReplaceAll(q, "$"+k, v)
		}
		return strings.NewReplacer("$__rate_interval", "15s", "$__interval", "5s", "$__range", "1m").Replace(q)
	}
	type check struct{ where, expr string }
	var checks []check
	dashboards := loadDashboards(t)
	names := make([]string, 0, len(dashboards))
	for n := range dashboards {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		d := dashboards[name]
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			m := labelValues.FindStringSubmatch(v.Definition)
			if m == nil {
				t.Errorf("%s: variable %s: %q is not label_values(expr, label)", name, v.Name, v.Definition)
				continue
			}
			checks = append(checks, check{name + " variable $" + v.Name, fmt.Sprintf("count by (%s) (%s)", m[2], subst(m[1]))})
		}
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				checks = append(checks, check{fmt.Sprintf("%s panel %q %s", name, p.Title, tg.RefID), subst(tg.Expr)})
			}
		}
	}
	// Rates need a few scrapes, alerts a detection after the warm-up and a
	// rule evaluation, the latency histogram a delivery: retry until all
	// return data, then report what never did.
	failing := map[string]string{}
	start := time.Now()
	deadline := start.Add(15 * time.Second)
	for {
		failing = map[string]string{}
		for _, c := range checks {
			n, msg := query(c.expr)
			switch {
			case msg != "":
				failing[c.where] = "error: " + msg + "\n    " + c.expr
			case n == 0:
				failing[c.where] = "no data\n    " + c.expr
			}
		}
		if len(failing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	for where, why := range failing {
		t.Errorf("%s: %s", where, why)
	}
	if len(failing) > 0 {
		t.Logf("prometheus log:\n%s", promLog.String())
	}
	t.Logf("%d dashboard queries checked against Prometheus; all returned data %v after Prometheus first scraped the daemon", len(checks), time.Since(start).Round(time.Second))
}
