package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// WebhookConfig configures a Webhook sink.
type WebhookConfig struct {
	// Name is the sink's name in logs and metrics; default: the URL's host.
	Name string
	// URL receives the POSTs (http or https). Userinfo is allowed; its
	// password, and the query string, are redacted in errors and logs.
	URL string
	// SecretFile holds the signing secret, read once by NewWebhook. Two forms:
	//   - "whsec_<base64>" (the Standard Webhooks form; surrounding whitespace
	//     ignored) — the key is the decoded bytes;
	//   - anything else is the key itself, raw bytes as stored, minus one
	//     trailing "\n" or "\r\n".
	// Note that the Standard Webhooks reference libraries base64-decode a
	// secret given without the prefix; to interoperate with them, write the
	// file in the whsec_ form. The key must be at least 24 bytes.
	SecretFile string
	// Timeout bounds each attempt; default 5s (as pkg/config's default).
	Timeout time.Duration
	// Client sends the requests; nil means a client that does not follow
	// redirects (a 3xx is then a permanent failure: fix the URL).
	Client *http.Client
	// Version goes into the User-Agent, "cellwatch/<Version>"; default "dev".
	Version string
	// CAFile is a PEM bundle of the CAs that may sign an https receiver's
	// certificate, instead of the system roots. Ignored when Client is set.
	CAFile string
	// Filters: the webhook takes only events whose zone, severity and type
	// are listed; an empty list takes all. A sensor event has no severity
	// and passes a severity filter only if the filter is empty.
	Zones      []string
	Severities []Severity
	Types      []EventType
}

// DefaultWebhookTimeout is the per-attempt timeout when none is configured.
const DefaultWebhookTimeout = 5 * time.Second

// minSecretLen is the Standard Webhooks minimum for HMAC secrets.
const minSecretLen = 24

// Webhook is a Sink that POSTs each event as JSON, signed per Standard
// Webhooks 1.0 (headers webhook-id, webhook-timestamp, webhook-signature).
// It is safe for concurrent use.
type Webhook struct {
	name     string
	url      string // the real one, only ever given to http.NewRequest
	redacted string // for errors and logs
	secret   []byte
	timeout  time.Duration
	client   *http.Client
	ua       string
	now      func() time.Time // for webhook-timestamp; tests replace it
	filter   eventFilter
}

// NewWebhook validates cfg and reads the secret file. Its errors never
// contain the secret or the URL's password.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		// url.Parse's error quotes the whole URL, credentials included.
		return nil, fmt.Errorf("alert: webhook %q: url does not parse", cfg.Name)
	}
	name := cfg.Name
	if name == "" {
		name = u.Host
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("alert: webhook %q: url %s: need an http or https URL with a host", name, redactURL(u))
	}
	if cfg.SecretFile == "" {
		return nil, fmt.Errorf("alert: webhook %q: secret_file is required (webhooks are always signed)", name)
	}
	raw, err := os.ReadFile(cfg.SecretFile)
	if err != nil {
		return nil, fmt.Errorf("alert: webhook %q: reading secret: %w", name, err)
	}
	secret, err := DecodeSecret(raw)
	clear(raw)
	if err != nil {
		return nil, fmt.Errorf("alert: webhook %q: secret file %s: %w", name, cfg.SecretFile, err)
	}
	w := &Webhook{
		name:     name,
		url:      u.String(),
		redacted: redactURL(u),
		secret:   secret,
		timeout:  cfg.Timeout,
		client:   cfg.Client,
		ua:       "cellwatch/" + cfg.Version,
		now:      time.Now,
	}
	if w.timeout <= 0 {
		w.timeout = DefaultWebhookTimeout
	}
	if w.client == nil {
		w.client, err = newHTTPClient(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("alert: webhook %q: %w", name, err)
		}
	}
	w.filter = eventFilter{zones: cfg.Zones, severities: cfg.Severities, types: cfg.Types}
	if cfg.Version == "" {
		w.ua = "cellwatch/dev"
	}
	return w, nil
}

// Name implements Sink.
func (w *Webhook) Name() string { return w.name }

// Accepts implements Filter.
func (w *Webhook) Accepts(ev *Event) bool { return w.filter.accepts(ev) }

// String describes the sink without its secret.
func (w *Webhook) String() string { return fmt.Sprintf("webhook %q (%s)", w.name, w.redacted) }

// GoString keeps %#v from printing the secret.
func (w *Webhook) GoString() string { return w.String() }

// LogValue keeps slog from printing the secret.
func (w *Webhook) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", w.name), slog.String("url", w.redacted))
}

// Notify implements Sink: one signed POST. 2xx is success; 408, 429, 5xx,
// network errors and timeouts are retryable; anything else is permanent.
func (w *Webhook) Notify(ctx context.Context, ev *Event) (retry bool, err error) {
	if ev.ID == "" || strings.ContainsAny(ev.ID, ". \t\r\n") {
		return false, fmt.Errorf("webhook %q: event id %q is empty or contains '.' or spaces", w.name, ev.ID)
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return false, fmt.Errorf("webhook %q: encoding event %s: %w", w.name, ev.ID, err)
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)

	ctx, cancel := context.WithTimeoutCause(ctx, w.timeout,
		fmt.Errorf("webhook timeout reached (%s): %w", w.timeout, context.DeadlineExceeded))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("webhook %q: building request for %s: %v", w.name, w.redacted, unwrapURLError(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.ua)
	req.Header.Set("webhook-id", ev.ID)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", Sign(w.secret, ev.ID, ts, body))

	resp, err := w.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		} else {
			err = unwrapURLError(err)
		}
		return true, fmt.Errorf("webhook %q: POST %s: %w", w.name, w.redacted, err)
	}
	defer drain(resp)

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	retry = resp.StatusCode == http.StatusRequestTimeout ||
		resp.StatusCode == http.StatusTooManyRequests ||
		resp.StatusCode >= 500
	snippet := readSnippet(resp.Body)
	kind := "permanent failure"
	if retry {
		kind = "retryable failure"
	}
	return retry, fmt.Errorf("webhook %q: POST %s: %s (%s)%s", w.name, w.redacted, resp.Status, kind, snippet)
}

// Sign returns the Standard Webhooks v1 signature header value,
// "v1,<base64(HMAC-SHA256(secret, id + "." + ts + "." + body))>".
func Sign(secret []byte, id, ts string, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, id, ts, body))
}

func mac(secret []byte, id, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// ErrSignature is returned by Verify when no signature matches.
var ErrSignature = errors.New("webhook signature does not match")

// Verify checks a Standard Webhooks signature header, for receivers (and
// tests). sigHeader is the webhook-signature value: space-separated
// "<version>,<base64>" entries (several during key rotation); it passes if
// any "v1" entry matches, compared in constant time. id and ts are the
// webhook-id and webhook-timestamp headers, body the raw request body —
// verify the bytes received, never re-encoded JSON. Verify does not check
// the timestamp's age; receivers should also call VerifyTimestamp.
func Verify(secret []byte, id, ts string, body []byte, sigHeader string) error {
	if id == "" || strings.Contains(id, ".") {
		return errors.New("webhook-id is empty or contains '.'")
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		return errors.New("webhook-timestamp is not an integer")
	}
	want := mac(secret, id, ts, body)
	for _, s := range strings.Fields(sigHeader) {
		ver, b64, ok := strings.Cut(s, ",")
		if !ok || ver != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrSignature
}

// DefaultTimestampTolerance is the Standard Webhooks recommendation.
const DefaultTimestampTolerance = 5 * time.Minute

// VerifyTimestamp rejects a webhook-timestamp further than tolerance from
// now, in either direction (replay protection, for receivers).
func VerifyTimestamp(ts string, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("webhook-timestamp is not an integer")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook-timestamp is %s away from now, tolerance %s", d.Round(time.Second), tolerance)
	}
	return nil
}

// DecodeSecret turns a secret file's content into the HMAC key: the
// base64 part decoded for the "whsec_<base64>" form, otherwise the raw bytes
// minus one trailing newline. Errors never quote the content.
func DecodeSecret(data []byte) ([]byte, error) {
	var key []byte
	if t := bytes.TrimSpace(data); bytes.HasPrefix(t, []byte("whsec_")) {
		b64 := t[len("whsec_"):]
		var err error
		key, err = decodeBase64(b64)
		if err != nil {
			return nil, errors.New("whsec_ secret is not valid base64")
		}
	} else {
		raw, ok := bytes.CutSuffix(data, []byte("\r\n"))
		if !ok {
			raw, _ = bytes.CutSuffix(data, []byte("\n"))
		}
		key = bytes.Clone(raw)
	}
	if len(key) < minSecretLen {
		return nil, fmt.Errorf("secret is %d bytes, need at least %d", len(key), minSecretLen)
	}
	return key, nil
}

func decodeBase64(b []byte) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		out := make([]byte, enc.DecodedLen(len(b)))
		if n, err := enc.Decode(out, b); err == nil {
			return out[:n], nil
		}
	}
	return nil, errors.New("invalid base64")
}

// redactURL hides the userinfo password and the query (which often carries
// tokens).
func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		if _, ok := c.User.Password(); ok {
			c.User = url.UserPassword(c.User.Username(), "xxxxx")
		}
	}
	if c.RawQuery != "" || c.ForceQuery {
		c.RawQuery = "redacted"
		c.ForceQuery = false
	}
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

// unwrapURLError drops *url.Error layers: they quote the request URL, which
// may hold credentials. The inner errors name only host and port.
func unwrapURLError(err error) error {
	for {
		var ue *url.Error
		if !errors.As(err, &ue) || ue.Err == nil {
			return err
		}
		err = ue.Err
	}
}

// readSnippet returns ": <first bytes of the body, quoted>" or "".
func readSnippet(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 256))
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	return ": " + strconv.Quote(string(b))
}

// drain reads a little of what is left so the connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
