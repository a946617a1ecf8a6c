// Command cellwatch listens to the cellular uplink bands with RTL-SDR
// dongles and reports the handsets that transmit: detections on stdout,
// Prometheus metrics, and alerts to control rooms.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Set by the linker: -X main.version=… -X main.revision=….
var (
	version  = "dev"
	revision = ""
)

// Exit codes. 2 is for usage errors, as flag parsers do; 3 means a receiver
// failed repeatedly (a lost dongle or rtl_tcp server), as rtl_433 does on a
// stall, so that a supervisor restarts the daemon.
const (
	exitOK           = 0
	exitError        = 1
	exitUsage        = 2
	exitReceiverLost = 3
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type command struct {
	name, args, help string
	run              func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "[flags]", "run the daemon (the default; with no config: the simulated corridor demo)", runDaemon},
		{"replay", "[flags] FILE...", "run the detection core over recordings", runReplay},
		{"sim", "--out=DIR [flags]", "write SigMF recordings of a simulated scene plus its truth", runSim},
		{"rtltcp-serve", "[--from=sim|FILE]", "serve the simulator or a cu8 recording over the rtl_tcp protocol", runRTLTCPServe},
		{"bands", "[--plan=eu|na]", "print the band plan, its hops and the tuner's blind bands", runBands},
		{"config", "check FILE", "validate a configuration file and print the effective config", runConfig},
		{"outbox", "[--failed] DIR", "list the alert events pending (or failed) in a stopped daemon's outbox", runOutbox},
		{"devices", "", "list RTL-SDR dongles (needs a build with -tags rtlsdr)", runDevices},
		{"bench", "dsp|detect [--json]", "measure the DSP core's speed, or detection against the simulator's truth", runBench},
		{"version", "", "print the version", runVersion},
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			usage(stdout)
			return exitOK
		}
		return runDaemon(args, stdout, stderr)
	}
	if args[0] == "help" {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "cellwatch: unknown command %q (try: cellwatch help)\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: cellwatch [COMMAND] [FLAGS]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %-18s %s\n", c.name, c.args, c.help)
	}
	fmt.Fprintln(w, "\n'cellwatch COMMAND --help' shows a command's flags.")
}

func runVersion(_ []string, stdout, _ io.Writer) int {
	fmt.Fprintf(stdout, "cellwatch %s (revision %s)\n", version, orDash(revision))
	return exitOK
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
