package alert

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
)

// eventFilter selects events by zone, severity and type; an empty list
// selects all.
type eventFilter struct {
	zones      []string
	severities []Severity
	types      []EventType
}

func (f eventFilter) accepts(ev *Event) bool {
	if len(f.zones) > 0 && !slices.Contains(f.zones, ev.Zone) {
		return false
	}
	if len(f.severities) > 0 && !slices.Contains(f.severities, ev.Severity) {
		return false
	}
	return len(f.types) == 0 || slices.Contains(f.types, ev.Type)
}

// newHTTPClient returns a client for a sink: redirects are not followed (a
// 3xx is a permanent failure: fix the URL), and with caFile the server's
// certificate must chain to one of the PEM certificates in it.
func newHTTPClient(caFile string) (*http.Client, error) {
	c := &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca_file %s: %w", caFile, errors.New("no PEM certificate in it"))
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c.Transport = tr
	return c, nil
}
