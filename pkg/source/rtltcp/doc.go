// Package rtltcp reads remote RTL-SDR dongles over osmocom's rtl_tcp
// protocol (Client, a source.Source) and serves any cu8 source.Source with
// the same protocol (Server: tests, CI, re-serving a simulator or a
// recording to other tools).
//
// # Protocol (rtl_tcp v0.6.0)
//
// On connect the server sends a 12-byte header: "RTL0", the tuner type and
// the tuner's gain count, both big-endian uint32. Then an endless stream of
// cu8 IQ bytes, no framing. The client sends 5-byte commands, an opcode and
// a big-endian uint32: 0x01 frequency (Hz), 0x02 sample rate, 0x03 gain mode
// (1 manual), 0x04 gain (tenths of dB), 0x05 ppm, 0x06 IF gain, 0x07 test
// mode, 0x08 RTL AGC, 0x09 direct sampling, 0x0a offset tuning, 0x0b/0x0c
// xtals, 0x0d gain index, 0x0e bias tee. Nothing is ever acknowledged. One
// client at a time; osmocom's server queues up to 500 × 256 KiB buffers
// (~27 s at 2.4 MS/s) for a slow client and then drops silently.
//
// # Client
//
// Dial sends, in order: sample rate, gain mode (auto when GainDB is 0),
// the gain snapped to the R820T table, ppm (only when non-zero), RTL AGC
// off, bias tee, and the frequency when one is known. Read fills the
// buffer with whole samples. A connection that breaks or delivers nothing
// for ReadTimeout is closed; Read reconnects with backoff (immediately,
// then 100 ms doubling to 5 s by default), re-sends every setting including
// the current frequency, and carries on. The Read that saw the break returns
// short (a discontinuity: Stats.ShortReads); the samples lost meanwhile are
// estimated from wall time (Stats.Dropped, also via source.Health).
//
// # Retuning
//
// rtl_tcp does not say when a retune took effect, and everything already
// in the pipe (the server's queue, both socket buffers, the dongle's
// current USB buffer) was captured at the old frequency. After sending the
// frequency command, Tune:
//
//  1. drains, without waiting, whatever has already arrived (reading until
//     nothing comes for 1 ms, at most RetuneDrainMax bytes, default 1 s of
//     samples);
//  2. discards whatever arrives until RetuneDiscard after the command
//     (default 0: the sweeper drops its own settle time after Tune);
//  3. realigns to a sample boundary.
//
// Stats.Discarded and LastRetuneDiscard count what was thrown away. The
// drain cannot see bytes still in flight or queued at the server, so a
// sweeper must still drop a settle time, and the settle time has to cover
// the pipe:
//
//   - Measured here (TestRetuneLatency: loopback, our Server in Realtime
//     mode sending 256 KiB buffers like rtl_tcp, 2.4 MS/s): the drain
//     removed the rest of the buffer last received (44–243 KB); the first
//     sample from the new frequency came in the next buffer, 35–77 ms after
//     Tune, behind 16 KiB of stale samples (3.4 ms: the chunk being
//     captured when the command came), up to 112 KiB (24 ms) on a loaded
//     machine (load 9 on 2 cores) where the server saw the command late.
//     So each retune costs one whole buffer, 55 ms at 2.4 MS/s: a sweep
//     over rtl_tcp visits at most ~18 hops a second, whatever the dwell.
//     Add the tuner's PLL settling (a few ms) on hardware; on a LAN add the
//     bandwidth-delay product, which is small at 4.8 MB/s (38 Mbit/s).
//   - On a slow link (Wi-Fi, VPN, anything under ~40 Mbit/s) rtl_tcp cannot
//     keep up at 2.4 MS/s: its queue grows to many seconds and every sample
//     is stale by that much, then it drops silently. Sweeping is then
//     meaningless; lower the sample rate, or use FixedTune with a dedicated
//     server per channel (Tune to another frequency then fails with
//     source.ErrNotTunable) and watch Stats.Dropped.
//   - Against a server that outruns real time (our Server without Realtime,
//     a replay) the drain keeps reading fresh data up to RetuneDrainMax:
//     harmless, but it is where the bytes go.
//
// # Server
//
// Server speaks the same protocol with one client at a time, records every
// command (Commands, with the source position at which it took effect),
// tunes the source on 0x01 and only records the others. With Realtime it
// behaves like rtl_tcp on a dongle: it reads the source continuously, 16 KiB
// (Chunk) at a time so that a tune takes effect inside the buffer being
// captured, and sends whole 256 KiB buffers (Buffer: librtlsdr's USB
// transfer, which rtl_tcp send()s whole), queued up to Queue (default 1 s);
// the oldest buffers are dropped when the client is slower, counted exactly
// (ServerStats.DroppedBytes). Without Realtime the client's pace drives the
// source, chunk by chunk, and nothing is lost. Faults inject bad or truncated
// headers, stalls and early closes for tests.
//
// Other measurements (loopback, 2-core machine): a server killed and
// restarted 300 ms later was read again 55 ms after it came back (backoff
// 50–400 ms in that test); with 16 KiB server buffers the Dropped estimate
// was within 1–2 % (4 ms) of the samples truly lost, but with rtl_tcp's
// 256 KiB it runs high (+180 ms in one run): the first bytes after the
// reconnect arrive a whole buffer after they were captured; a stalled server was detected at ReadTimeout +
// ~10 ms and samples flowed again ~50 ms later.
package rtltcp
