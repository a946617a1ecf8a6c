package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testKey is the key behind testSecretFile; both must never show up in
// errors or logs.
var (
	testKey        = []byte("0123456789abcdef-SECRET-KEY-0123456789")
	testSecretB64  = base64.StdEncoding.EncodeToString(testKey)
	testSecretFile = "whsec_" + testSecretB64
)

const testPassword = "hunter2-url-password"

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook.key")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newTestWebhook(t *testing.T, rawURL string, mod func(*WebhookConfig)) *Webhook {
	t.Helper()
	cfg := WebhookConfig{Name: "control-room", URL: rawURL, SecretFile: writeFile(t, testSecretFile+"\n"),
		Timeout: 2 * time.Second, Version: "1.2.3"}
	if mod != nil {
		mod(&cfg)
	}
	w, err := NewWebhook(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func testEvent(id string) *Event {
	return &Event{ID: id, Type: TypeFiring, Severity: SeverityRisk, Site: "s", Sensor: "n", Zone: "z",
		AlertID: "a-" + id, EmissionInfo: &EmissionInfo{FreqHz: 882e6, Tech: "gsm", Bursts: 3},
		FirstSeen: NewTime(t0), LastSeen: NewTime(t0)}
}

// assertNoSecret fails if s holds the key in any form, or the URL password.
func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, bad := range []string{string(testKey), testSecretB64, testSecretFile, testPassword, "SECRET-KEY"} {
		if strings.Contains(s, bad) {
			t.Errorf("%s leaks a secret (%q): %s", what, bad, s)
		}
	}
}

// The published Standard Webhooks test vector (reference libraries' tests).
func TestSignStandardWebhooksVector(t *testing.T) {
	key, err := DecodeSecret([]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
	if err != nil {
		t.Fatal(err)
	}
	const (
		id   = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts   = "1614265330"
		body = `{"test": 2432232314}`
		want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	if got := Sign(key, id, ts, []byte(body)); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if err := Verify(key, id, ts, []byte(body), want); err != nil {
		t.Fatal(err)
	}
	// And an independent computation of the same thing.
	h := hmac.New(sha256.New, key)
	io.WriteString(h, id+"."+ts+"."+body)
	if got := "v1," + base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("independent HMAC = %s", got)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":"e1"}`)
	good := Sign(testKey, "e1", "1700000000", body)
	other := Sign([]byte("another-key-of-at-least-24-bytes"), "e1", "1700000000", body)
	for _, tc := range []struct {
		name, header string
		body         []byte
		ok           bool
	}{
		{"single", good, body, true},
		{"rotation list, match last", "v1a,AAAA " + other + " " + good, body, true},
		{"rotation list, match first", good + " " + other, body, true},
		{"wrong key", other, body, false},
		{"tampered body", good, []byte(`{"id":"e2"}`), false},
		{"not v1", strings.Replace(good, "v1,", "v2,", 1), body, false},
		{"garbage", "v1,!!! nonsense", body, false},
		{"empty", "", body, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(testKey, "e1", "1700000000", tc.body, tc.header)
			if (err == nil) != tc.ok {
				t.Fatalf("Verify = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if Verify(testKey, "e1", "17x", body, good) == nil {
		t.Error("non-numeric timestamp accepted")
	}
	if Verify(testKey, "e.1", "1700000000", body, Sign(testKey, "e.1", "1700000000", body)) == nil {
		t.Error("id with '.' accepted")
	}
}

func TestVerifyTimestamp(t *testing.T) {
	now := time.Unix(1700000000, 0)
	if err := VerifyTimestamp("1700000299", now, DefaultTimestampTolerance); err != nil {
		t.Error(err)
	}
	if VerifyTimestamp("1699999699", now, DefaultTimestampTolerance) == nil {
		t.Error("301 s old accepted")
	}
	if VerifyTimestamp("1700000301", now, DefaultTimestampTolerance) == nil {
		t.Error("301 s in the future accepted")
	}
}

func TestDecodeSecret(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []byte
		ok       bool
	}{
		{"whsec", testSecretFile, testKey, true},
		{"whsec with newline and spaces", "  " + testSecretFile + "\r\n", testKey, true},
		{"whsec unpadded", "whsec_" + base64.RawStdEncoding.EncodeToString(testKey[:25]), testKey[:25], true},
		{"raw", string(testKey), testKey, true},
		{"raw with newline", string(testKey) + "\n", testKey, true},
		{"raw with CRLF", string(testKey) + "\r\n", testKey, true},
		{"raw keeps inner spaces", " " + string(testKey) + " \n", []byte(" " + string(testKey) + " "), true},
		{"too short", "short", nil, false},
		{"whsec too short", "whsec_" + base64.StdEncoding.EncodeToString([]byte("16-bytes-secret!")), nil, false},
		{"bad base64", "whsec_" + testSecretB64 + "%%", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeSecret([]byte(tc.in))
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				assertNoSecret(t, "DecodeSecret error", err.Error())
				return
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("key = %q, want %q", got, tc.want)
			}
		})
	}
}

type captured struct {
	header http.Header
	body   []byte
}

func TestWebhookRequest(t *testing.T) {
	got := make(chan captured, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost {
			t.Errorf("method %s", r.Method)
		}
		got <- captured{r.Header.Clone(), b}
	}))
	defer srv.Close()

	wh := newTestWebhook(t, srv.URL+"/hook", nil)
	wh.now = func() time.Time { return time.Unix(1700000123, 0) }
	ev := testEvent("4f1c6a52-0000-4000-8000-000000000001")
	retry, err := wh.Notify(t.Context(), ev)
	if err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	c := <-got
	for k, want := range map[string]string{
		"Content-Type":      "application/json",
		"User-Agent":        "cellwatch/1.2.3",
		"Webhook-Id":        ev.ID,
		"Webhook-Timestamp": "1700000123",
	} {
		if v := c.header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	sig := c.header.Get("Webhook-Signature")
	if err := Verify(testKey, ev.ID, "1700000123", c.body, sig); err != nil {
		t.Fatalf("signature %q does not verify: %v", sig, err)
	}
	if !bytes.Contains(c.body, []byte(`"id":"`+ev.ID+`"`)) || !bytes.Contains(c.body, []byte(`"freq_hz":882000000`)) {
		t.Errorf("body %s", c.body)
	}
}

func TestWebhookClassification(t *testing.T) {
	for _, tc := range []struct {
		status     int
		wantErr    bool
		wantRetry  bool
		wantInBody string
	}{
		{200, false, false, ""},
		{202, false, false, ""},
		{204, false, false, ""},
		{301, true, false, ""},
		{400, true, false, "bad field"},
		{401, true, false, ""},
		{404, true, false, ""},
		{408, true, true, ""},
		{410, true, false, ""},
		{429, true, true, ""},
		{500, true, true, "boom"},
		{502, true, true, ""},
		{503, true, true, ""},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.status == 301 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.wantInBody)
			}))
			defer srv.Close()
			wh := newTestWebhook(t, srv.URL, nil)
			retry, err := wh.Notify(t.Context(), testEvent("e1"))
			if (err != nil) != tc.wantErr || retry != tc.wantRetry {
				t.Fatalf("Notify = (%v, %v), want err=%v retry=%v", retry, err, tc.wantErr, tc.wantRetry)
			}
			if err != nil && !strings.Contains(err.Error(), fmt.Sprint(tc.status)) {
				t.Errorf("error %q lacks the status", err)
			}
			if tc.wantInBody != "" && !strings.Contains(err.Error(), tc.wantInBody) {
				t.Errorf("error %q lacks the body snippet", err)
			}
		})
	}
}

// hangingServer never answers until the client gives up or the test ends.
func hangingServer(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // lets the server notice the client hanging up
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

func TestWebhookTimeoutIsRetryable(t *testing.T) {
	srv := hangingServer(t)
	wh := newTestWebhook(t, srv.URL, func(c *WebhookConfig) { c.Timeout = 50 * time.Millisecond })
	start := time.Now()
	retry, err := wh.Notify(t.Context(), testEvent("e1"))
	if err == nil || !retry {
		t.Fatalf("Notify = (%v, %v), want a retryable error", retry, err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("error %q is not a timeout", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s", d)
	}
}

func TestWebhookConnectionRefusedIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	wh := newTestWebhook(t, u, nil)
	retry, err := wh.Notify(t.Context(), testEvent("e1"))
	if err == nil || !retry {
		t.Fatalf("Notify = (%v, %v), want a retryable error", retry, err)
	}
}

func TestWebhookRejectsBadEventID(t *testing.T) {
	wh := newTestWebhook(t, "http://127.0.0.1:1/", nil)
	for _, id := range []string{"", "a.b", "a b"} {
		if retry, err := wh.Notify(t.Context(), testEvent(id)); err == nil || retry {
			t.Errorf("id %q: Notify = (%v, %v), want a permanent error", id, retry, err)
		}
	}
}

func TestNewWebhookErrors(t *testing.T) {
	good := writeFile(t, testSecretFile)
	for _, tc := range []struct {
		name string
		cfg  WebhookConfig
		want string
	}{
		{"no url", WebhookConfig{SecretFile: good}, "http or https"},
		{"ftp", WebhookConfig{URL: "ftp://u:" + testPassword + "@h/x", SecretFile: good}, "http or https"},
		{"unparsable with password", WebhookConfig{URL: "https://user:" + testPassword + "/x@host", SecretFile: good}, "does not parse"},
		{"unparsable control char", WebhookConfig{URL: "https://u:" + testPassword + "@h/\x7f", SecretFile: good}, "does not parse"},
		{"no secret", WebhookConfig{URL: "https://h/x"}, "secret_file is required"},
		{"missing secret file", WebhookConfig{URL: "https://h/x", SecretFile: filepath.Join(t.TempDir(), "nope")}, "reading secret"},
		{"short secret", WebhookConfig{URL: "https://h/x", SecretFile: writeFile(t, "SECRET-KEY")}, "at least 24"},
		{"bad base64", WebhookConfig{URL: "https://h/x", SecretFile: writeFile(t, testSecretFile+"%")}, "base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewWebhook(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			t.Log(err)
			assertNoSecret(t, "NewWebhook error", err.Error())
		})
	}
}

func TestWebhookNeverLeaksSecrets(t *testing.T) {
	var status atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		io.WriteString(w, "nope")
	}))
	defer srv.Close()
	hang := hangingServer(t)
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL
	refused.Close()

	withCreds := func(u string) string {
		return strings.Replace(u, "http://", "http://ops:"+testPassword+"@", 1) + "/hook?token=" + testPassword
	}
	var errs []error
	for _, u := range []string{srv.URL, hang.URL, refusedURL} {
		wh := newTestWebhook(t, withCreds(u), func(c *WebhookConfig) { c.Timeout = 50 * time.Millisecond; c.Name = "" })
		for _, st := range []int32{500, 400, 429} {
			status.Store(st)
			_, err := wh.Notify(t.Context(), testEvent("e1"))
			errs = append(errs, err)
		}
		_, err := wh.Notify(t.Context(), testEvent("bad.id"))
		errs = append(errs, err)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err = wh.Notify(ctx, testEvent("e1"))
		errs = append(errs, err)

		// Printing or logging the sink itself is safe too.
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("sink", "webhook", wh)
		for _, s := range []string{fmt.Sprint(wh), fmt.Sprintf("%+v", wh), fmt.Sprintf("%#v", wh), buf.String(), wh.Name()} {
			assertNoSecret(t, "formatted webhook", s)
		}
	}
	for _, err := range errs {
		if err == nil {
			t.Fatal("an error path returned nil")
		}
		t.Log(err)
		assertNoSecret(t, "Notify error", err.Error())
		if !strings.Contains(err.Error(), "xxxxx") && !strings.Contains(err.Error(), "bad.id") {
			t.Errorf("error does not show the redacted URL: %v", err)
		}
	}
}
