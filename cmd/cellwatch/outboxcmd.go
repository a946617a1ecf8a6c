package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cellwatch/cellwatch/pkg/outbox"
)

// runOutbox lists what a daemon's outbox holds: the events still to
// deliver, or (--failed) those a sink refused for good, kept for
// inspection. One JSON line per record. bbolt locks the file, so the daemon
// using it must be stopped first.
func runOutbox(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("outbox", stderr)
	failed := fs.Bool("failed", false, "list the permanently failed events instead of the pending ones")
	if rc := parseFlags(fs, args, stderr); rc >= 0 {
		return rc
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "cellwatch outbox: want one argument, the storage.dir of the (stopped) daemon")
		return exitUsage
	}
	dir := fs.Arg(0)
	if _, err := os.Stat(filepath.Join(dir, outbox.FileName)); err != nil {
		fmt.Fprintf(stderr, "cellwatch outbox: %v\n", err)
		return exitError
	}
	o, err := outbox.Open(dir)
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch outbox: %v (stop the daemon first)\n", err)
		return exitError
	}
	defer o.Close()
	sinks, err := o.AllSinks()
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch outbox: %v\n", err)
		return exitError
	}
	enc := json.NewEncoder(stdout)
	for _, s := range sinks {
		list := o.Pending
		if *failed {
			list = o.Failed
		}
		recs, err := list(s)
		if err != nil {
			fmt.Fprintf(stderr, "cellwatch outbox: %v\n", err)
			return exitError
		}
		for _, r := range recs {
			line := struct {
				Sink     string          `json:"sink"`
				Seq      uint64          `json:"seq"`
				Enqueued time.Time       `json:"enqueued"`
				Attempts int             `json:"attempts,omitempty"`
				FailedAt time.Time       `json:"failed_at,omitzero"`
				Reason   string          `json:"reason,omitempty"`
				Event    json.RawMessage `json:"event"`
			}{s, r.Seq, r.Enqueued, r.Attempts, r.FailedAt, r.Reason, r.Data}
			if !json.Valid(r.Data) {
				line.Event, _ = json.Marshal(string(r.Data))
			}
			if err := enc.Encode(line); err != nil {
				return exitError
			}
		}
	}
	return exitOK
}
