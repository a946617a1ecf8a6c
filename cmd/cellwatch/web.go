package main

import (
	"log/slog"
	"net"
	"net/http"

	"github.com/prometheus/exporter-toolkit/web"
)

// serveHTTP serves hs on ln through the Prometheus exporter-toolkit, which
// adds TLS and basic auth from the web configuration file (webConfig, ""
// for plain HTTP) as every Prometheus exporter does. The toolkit re-reads
// that file for each connection and request, so new certificates or users
// apply without a reload. It returns http.ErrServerClosed after Shutdown.
func serveHTTP(hs *http.Server, ln net.Listener, webConfig string, log *slog.Logger) error {
	systemdSocket := false
	flags := &web.FlagConfig{
		WebListenAddresses: &[]string{ln.Addr().String()},
		WebSystemdSocket:   &systemdSocket,
		WebConfigFile:      &webConfig,
	}
	return web.Serve(ln, hs, flags, log)
}
