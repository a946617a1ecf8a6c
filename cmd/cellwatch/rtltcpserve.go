package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/cellwatch/cellwatch/pkg/config"
	"github.com/cellwatch/cellwatch/pkg/iq"
	"github.com/cellwatch/cellwatch/pkg/sim"
	"github.com/cellwatch/cellwatch/pkg/source"
	"github.com/cellwatch/cellwatch/pkg/source/rtltcp"
)

// runRTLTCPServe serves the simulator or a cu8 recording over the rtl_tcp
// protocol: a stand-in dongle for installers' test benches, and the far end
// of the daemon's rtl_tcp integration tests.
func runRTLTCPServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("rtltcp-serve", stderr)
	from := fs.String("from", "sim", "what to serve: sim, or a cu8 recording (FILE, .sigmf-meta or rtl_433-style name)")
	addr := fs.String("listen", "127.0.0.1:1234", "address to listen on (rtl_tcp's default)")
	sceneName := fs.String("scene", "corridor-small", fmt.Sprintf("with --from=sim: built-in scene %v", sim.BuiltinNames()))
	seed := fs.Int64("seed", 0, "with --from=sim: random seed (default: the scene's)")
	rate := fs.Float64("sample-rate", config.DefaultSampleRate, "with --from=sim: sample rate, Hz")
	realtime := fs.Bool("realtime", true, "deliver at the sample rate like a dongle, dropping the oldest data when the client is slow (false: as fast as the client reads)")
	buffer := fs.Int("buffer", rtltcp.DefaultBuffer, "with --realtime: bytes captured and sent at a time (rtl_tcp sends librtlsdr's 256 KiB USB buffers)")
	if rc := parseFlags(fs, args, stderr); rc >= 0 {
		return rc
	}
	if *buffer < 2 || *buffer > 64<<20 {
		fmt.Fprintf(stderr, "cellwatch rtltcp-serve: --buffer %d: want 2 bytes to 64 MiB\n", *buffer)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cellwatch rtltcp-serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	var src source.Source
	if *from == "sim" {
		sc, err := sim.Builtin(*sceneName)
		if err != nil {
			fmt.Fprintf(stderr, "cellwatch rtltcp-serve: --scene: %v\n", err)
			return exitUsage
		}
		if *seed != 0 {
			sc.Seed = *seed
		}
		s, err := source.NewSim("sim", sc, *rate, *realtime)
		if err != nil {
			fmt.Fprintf(stderr, "cellwatch rtltcp-serve: %v\n", err)
			return exitError
		}
		src = s
	} else {
		f, err := source.OpenFile(*from, source.FileOptions{})
		if err != nil {
			fmt.Fprintf(stderr, "cellwatch rtltcp-serve: %v\n", err)
			return exitError
		}
		if f.Info().Format != iq.CU8 {
			fmt.Fprintf(stderr, "cellwatch rtltcp-serve: %s: rtl_tcp streams cu8, the recording is %v\n", *from, f.Info().Format)
			return exitError
		}
		src = f
		if *realtime {
			src = source.NewPaced(f)
		}
	}
	defer src.Close()
	log := slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := rtltcp.NewServer(rtltcp.ServerConfig{Addr: *addr, Source: src, Realtime: *realtime, Buffer: *buffer, Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "cellwatch rtltcp-serve: %v\n", err)
		return exitError
	}
	if err := srv.Listen(); err != nil {
		fmt.Fprintf(stderr, "cellwatch rtltcp-serve: --listen: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "serving %s over rtl_tcp on %s\n", *from, srv.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.ListenAndServe(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "cellwatch rtltcp-serve: %v\n", err)
		return exitError
	}
	return exitOK
}
