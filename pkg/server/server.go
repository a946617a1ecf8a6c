// Package server serves cellwatch's HTTP endpoints: /metrics, the health
// and readiness probes, and a landing page.
package server

import (
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server holds the handlers; the caller owns the listener.
type Server struct {
	mux   *http.ServeMux
	ready atomic.Bool
}

// New builds the handlers. telemetryPath is where metrics are served.
func New(reg *prometheus.Registry, telemetryPath string, log *slog.Logger) *Server {
	s := &Server{mux: http.NewServeMux()}
	s.mux.Handle("GET "+telemetryPath, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:          reg,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelError),
		EnableOpenMetrics: true,
	}))
	s.mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "cellwatch is healthy.")
	})
	s.mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "cellwatch is not ready: the first sweep has not completed.", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "cellwatch is ready.")
	})
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		p := html.EscapeString(telemetryPath)
		fmt.Fprintf(w, `<!doctype html><html><head><title>cellwatch</title></head><body>
<h1>cellwatch</h1><p>Uplink monitor for contraband phones.</p>
<ul><li><a href="%s">Metrics</a></li><li><a href="/-/healthy">Health</a></li><li><a href="/-/ready">Readiness</a></li></ul>
</body></html>
`, p)
	})
	return s
}

// SetReady flips the readiness probe (ready once the first sweep completed).
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// Handler is the root handler.
func (s *Server) Handler() http.Handler { return s.mux }
