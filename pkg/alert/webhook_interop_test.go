package alert

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// receiverJS is a control-room receiver written against the Standard
// Webhooks reference library for JavaScript (npm "standardwebhooks"), not
// against our code: it answers 204 when Webhook.verify accepts the request
// (signature, and timestamp within its 5 min tolerance) and 400 otherwise,
// and prints one JSON line per request.
const receiverJS = `
const http = require('http');
const { Webhook } = require('standardwebhooks');
const wh = new Webhook(process.env.WHSEC.replace(/^whsec_/, ''));
const srv = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c) => body += c);
  req.on('end', () => {
    let ok = true, err = '';
    try { wh.verify(body, req.headers); } catch (e) { ok = false; err = String(e.message || e); }
    console.log(JSON.stringify({ ok, err, id: req.headers['webhook-id'] || '' }));
    res.statusCode = ok ? 204 : 400;
    res.end();
  });
});
srv.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: srv.address().port })));
`

// startJSReceiver installs the library with npm into a temporary folder and
// starts the receiver, or skips when Node.js, npm or the registry is not
// available.
func startJSReceiver(t *testing.T, secret string) (url string, lines *bufio.Scanner) {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: the interoperability check with the Standard Webhooks JavaScript library needs Node.js and npm", tool)
		}
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--silent", "standardwebhooks@1.1.1")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Skipf("npm install standardwebhooks@1.1.1 failed (no registry?): %v\n%s", err, out)
	}
	script := filepath.Join(dir, "receiver.js")
	if err := os.WriteFile(script, []byte(receiverJS), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WHSEC="+secret)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		t.Fatal("the JavaScript receiver printed nothing")
	}
	var hello struct{ Port int }
	if err := json.Unmarshal(sc.Bytes(), &hello); err != nil || hello.Port == 0 {
		t.Fatalf("JavaScript receiver: %q", sc.Text())
	}
	return fmt.Sprintf("http://127.0.0.1:%d/hook", hello.Port), sc
}

// Our signatures verify with an implementation we did not write, and a
// forged one does not.
func TestWebhookVerifiedByStandardWebhooksJSLibrary(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	url, lines := startJSReceiver(t, secret)

	dir := t.TempDir()
	good := filepath.Join(dir, "good.key")
	if err := os.WriteFile(good, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := make([]byte, 32)
	_, _ = rand.Read(other)
	forged := filepath.Join(dir, "forged.key")
	if err := os.WriteFile(forged, []byte("whsec_"+base64.StdEncoding.EncodeToString(other)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, keyFile string
		ok            bool
	}{{"right secret", good, true}, {"wrong secret", forged, false}} {
		t.Run(tc.name, func(t *testing.T) {
			hook, err := NewWebhook(WebhookConfig{URL: url, SecretFile: tc.keyFile, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			ev := testEvent("evt_" + strings.ReplaceAll(tc.name, " ", "-"))
			retry, err := hook.Notify(context.Background(), ev)
			if !lines.Scan() {
				t.Fatal("the JavaScript receiver saw no request")
			}
			var got struct {
				OK  bool
				Err string
				ID  string
			}
			if err := json.Unmarshal(lines.Bytes(), &got); err != nil {
				t.Fatalf("receiver line %q: %v", lines.Text(), err)
			}
			if got.OK != tc.ok {
				t.Fatalf("standardwebhooks verify = %v (%s), want %v", got.OK, got.Err, tc.ok)
			}
			if got.ID != ev.ID {
				t.Errorf("webhook-id %q, want the event id %q", got.ID, ev.ID)
			}
			if tc.ok && err != nil {
				t.Fatalf("Notify: %v", err)
			}
			// 400 from the receiver: a permanent failure, not retried.
			if !tc.ok && (err == nil || retry) {
				t.Fatalf("Notify with a forged signature: retry=%v err=%v, want a permanent failure", retry, err)
			}
		})
	}
}
