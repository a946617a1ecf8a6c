package rtlsdr

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/iq"
)

func TestOpenAppliesSettingsInOrder(t *testing.T) {
	f := newFake("cw1", "cw2")
	f.direct = 1 // librtlsdr left direct sampling on
	d, err := openWith(f, Config{Serial: "cw2", SampleRate: 2.048e6, GainDB: 40, PPM: 12, BiasTee: true, Settle: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"open1",
		"set_direct_sampling0", // first: it re-initialises the tuner
		"set_sample_rate2048000",
		"set_tuner_gain_modetrue",
		"set_tuner_gain402", // 40 dB snapped to the R820T's 40.2
		"set_agc_modefalse",
		"set_freq_correction12",
		"set_bias_teetrue",
		"reset_buffer",
	}
	if got := f.Calls(); !reflect.DeepEqual(got, want) {
		t.Fatalf("calls\n got %q\nwant %q", got, want)
	}
	if db, manual := d.Gain(); db != 40.2 || !manual {
		t.Errorf("Gain() = %v, %v; want 40.2 (read back), manual", db, manual)
	}
	if d.Name() != "rtlsdr:cw2" || d.Device().Serial != "cw2" || d.Device().Index != 1 || d.Tuner() != "R820T" {
		t.Errorf("name %q, device %+v, tuner %s", d.Name(), d.Device(), d.Tuner())
	}
	if d.Settle() != 5*time.Millisecond {
		t.Errorf("Settle() = %v", d.Settle())
	}
	info := d.Info()
	if info.Format != iq.CU8 || info.SampleRate != 2.048e6 || !info.Tunable || info.MinFreq != 24e6 || info.MaxFreq != 1766e6 || info.CenterFreq != 0 {
		t.Errorf("Info() = %+v", info)
	}
	if len(d.GainTable()) != 29 {
		t.Errorf("GainTable has %d entries", len(d.GainTable()))
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	calls := f.Calls()
	if tail := calls[len(calls)-2:]; !reflect.DeepEqual(tail, []string{"set_bias_teefalse", "close"}) {
		t.Errorf("close calls %q: want bias tee off, then close", tail)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := d.Read(context.Background(), make([]byte, 512)); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	if err := d.Tune(context.Background(), 900e6); !errors.Is(err, ErrClosed) {
		t.Errorf("Tune after Close: %v", err)
	}
}

func TestOpenAutoGainDefaults(t *testing.T) {
	f := newFake("00000001")
	d, err := openWith(f, Config{Name: "north"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"open0", "set_sample_rate2400000", "set_tuner_gain_modefalse", "set_agc_modefalse", "set_bias_teefalse", "reset_buffer"}
	if got := f.Calls(); !reflect.DeepEqual(got, want) {
		t.Fatalf("calls\n got %q\nwant %q", got, want)
	}
	if db, manual := d.Gain(); db != 0 || manual {
		t.Errorf("Gain() = %v, %v; want auto", db, manual)
	}
	if d.Name() != "north" || d.Info().SampleRate != 2.4e6 {
		t.Errorf("name %q rate %v", d.Name(), d.Info().SampleRate)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if calls := f.Calls(); calls[len(calls)-1] != "close" || calls[len(calls)-2] == "set_bias_teefalse" {
		t.Errorf("close calls %q", calls)
	}
}

func TestOpenFailures(t *testing.T) {
	tests := []struct {
		name   string
		fake   func() *fakeDev
		cfg    Config
		is     error
		errHas []string
		closed bool // the device was opened and must be closed again
	}{
		{"no dongle", func() *fakeDev { return newFake() }, Config{}, ErrNoDevice, []string{"no RTL-SDR dongle found"}, false},
		{"duplicate serials", func() *fakeDev { return newFake("00000001", "00000001") }, Config{Serial: "00000001"}, ErrAmbiguous, []string{"rtl_eeprom"}, false},
		{"busy", func() *fakeDev { f := newFake("a"); f.rc["open"] = -6; return f }, Config{}, ErrBusy, []string{"rtlsdr_open", "dvb_usb_rtl28xxu"}, false},
		{"access", func() *fakeDev { f := newFake("a"); f.rc["open"] = -3; return f }, Config{}, ErrAccess, []string{"plugdev"}, false},
		{"bad rate", func() *fakeDev { return newFake("a") }, Config{SampleRate: 3.3e6}, nil, []string{"3300000 Hz", "225001–300000"}, false},
		{"negative gain", func() *fakeDev { return newFake("a") }, Config{GainDB: -3}, nil, []string{"gain -3 dB"}, false},
		{"unknown tuner", func() *fakeDev { f := newFake("a"); f.tuner = 0; return f }, Config{}, nil, []string{"no supported tuner"}, true},
		{"no gain table", func() *fakeDev { f := newFake("a"); f.tuner = 4; f.gains = nil; return f }, Config{GainDB: 20}, nil, []string{"FC2580", "no gain table"}, true},
		{"sample rate refused", func() *fakeDev { f := newFake("a"); f.rc["set_sample_rate"] = -22; return f }, Config{}, nil, []string{"rtlsdr_set_sample_rate failed", "EINVAL"}, true},
		{"gain refused", func() *fakeDev { f := newFake("a"); f.rc["set_tuner_gain"] = -1; return f }, Config{GainDB: 30}, nil, []string{"rtlsdr_set_tuner_gain failed"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fake()
			d, err := openWith(f, tc.cfg)
			if err == nil || d != nil {
				t.Fatalf("openWith = %v, %v; want an error", d, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if f.open != false {
				t.Errorf("device left open")
			}
			calls := f.Calls()
			if tc.closed != (len(calls) > 0 && calls[len(calls)-1] == "close") {
				t.Errorf("calls %q: closed want %v", calls, tc.closed)
			}
		})
	}
}

func TestPPMAlreadySet(t *testing.T) {
	f := newFake("a")
	f.ppm = 5 // a previous user's value is still there: compare, do not get -2
	if _, err := openWith(f, Config{PPM: 5}); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Calls() {
		if strings.HasPrefix(c, "set_freq_correction") {
			t.Errorf("unexpected %s", c)
		}
	}
}

func TestTune(t *testing.T) {
	f := newFake("a")
	d, err := openWith(f, Config{GainDB: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	n0 := len(f.Calls())
	if err := d.Tune(ctx, 1747.5e6); err != nil {
		t.Fatal(err)
	}
	if got := f.Calls()[n0:]; !reflect.DeepEqual(got, []string{"set_center_freq1747500000", "reset_buffer"}) {
		t.Errorf("tune calls %q", got)
	}
	if d.Info().CenterFreq != 1747.5e6 {
		t.Errorf("CenterFreq = %v", d.Info().CenterFreq)
	}
	for _, bad := range []float64{23e6, 1767e6, -1} {
		if err := d.Tune(ctx, bad); err == nil || !strings.Contains(err.Error(), "outside") {
			t.Errorf("Tune(%v) = %v", bad, err)
		}
	}
	f.rc["set_center_freq"] = -1
	if err := d.Tune(ctx, 900e6); err == nil || !strings.Contains(err.Error(), "rtlsdr_set_center_freq") {
		t.Errorf("refused tune: %v", err)
	}
	if s := d.Stats(); s.Retunes != 1 || s.RetuneFailures != 1 {
		t.Errorf("stats %+v", s)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := d.Tune(cctx, 900e6); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Tune: %v", err)
	}
}

func TestReadCountsShortReads(t *testing.T) {
	f := newFake("a")
	d, err := openWith(f, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	var asked []int
	f.read = func(buf []byte) (int, int) {
		asked = append(asked, len(buf))
		for i := range buf {
			buf[i] = byte(i)
		}
		return len(buf), 0
	}
	p := make([]byte, 16384)
	if n, err := d.Read(ctx, p); n != 16384 || err != nil {
		t.Fatalf("Read = %d, %v", n, err)
	}
	if p[1000] != byte(1000%256) {
		t.Errorf("data not delivered")
	}
	// Short read: 1000 of 4096 bytes → one short read, 1548 samples dropped.
	f.read = func(buf []byte) (int, int) { asked = append(asked, len(buf)); return 1000, 0 }
	if n, err := d.Read(ctx, p[:4096]); n != 1000 || err != nil {
		t.Fatalf("short Read = %d, %v", n, err)
	}
	// Odd count from the device: whole samples only, the half sample counts as dropped.
	f.read = func(buf []byte) (int, int) { asked = append(asked, len(buf)); return 1023, 0 }
	if n, err := d.Read(ctx, p[:1024]); n != 1022 || err != nil {
		t.Fatalf("odd Read = %d, %v", n, err)
	}
	want := Stats{ShortReads: 2, Dropped: (4096-1000)/2 + 1, SamplesRead: (16384 + 1000 + 1022) / 2}
	if s := d.Stats(); s != want {
		t.Errorf("stats %+v, want %+v", s, want)
	}
	// read_sync lengths are multiples of 512 and at most 256 KiB.
	f.read = nil
	if n, _ := d.Read(ctx, make([]byte, 1000)); n != 512 {
		t.Errorf("Read(1000) = %d, want 512", n)
	}
	if n, _ := d.Read(ctx, make([]byte, 1<<20)); n != maxRead {
		t.Errorf("Read(1 MiB) = %d, want %d", n, maxRead)
	}
	if !reflect.DeepEqual(asked, []int{16384, 4096, 1024}) {
		t.Errorf("read_sync lengths %v", asked)
	}
	if s := d.Stats(); s.ShortReads != 2 {
		t.Errorf("full reads counted as short: %+v", s)
	}
}

func TestReadOddAndSmallBuffers(t *testing.T) {
	f := newFake("a")
	d, err := openWith(f, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	// An odd buffer gets whole samples only; its last byte is untouched.
	p := make([]byte, 1025)
	p[1024] = 0xAA
	n, err := d.Read(ctx, p)
	if n != 1024 || err != nil || p[1024] != 0xAA {
		t.Fatalf("Read(1025) = %d, %v, last byte %#x", n, err, p[1024])
	}
	// One byte: nothing to do.
	if n, err := d.Read(ctx, make([]byte, 1)); n != 0 || err != nil {
		t.Fatalf("Read(1) = %d, %v", n, err)
	}
	// Small reads are served from one 512-byte transfer, in order.
	calls := f.readCalls
	var got []byte
	for len(got) < 512 {
		q := make([]byte, 7) // 3 samples at a time
		n, err := d.Read(ctx, q)
		if err != nil || n != min(6, 512-len(got)) {
			t.Fatalf("Read(7) = %d, %v after %d bytes", n, err, len(got))
		}
		got = append(got, q[:n]...)
	}
	if f.readCalls != calls+1 {
		t.Errorf("%d read_sync calls for 512 bytes", f.readCalls-calls)
	}
	for i, b := range got {
		if b != byte(i) {
			t.Fatalf("byte %d = %d: stream out of order", i, b)
		}
	}
	// Left-overs from before a retune are discarded.
	d.Read(ctx, make([]byte, 8))
	if err := d.Tune(ctx, 900e6); err != nil {
		t.Fatal(err)
	}
	q := make([]byte, 8)
	if n, _ := d.Read(ctx, q); n != 8 || q[0] != 0 {
		t.Errorf("after Tune got %v: stale samples", q)
	}
	if s := d.Stats(); s.ShortReads != 0 || s.Dropped != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestReadError(t *testing.T) {
	f := newFake("a")
	d, err := openWith(f, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f.read = func(buf []byte) (int, int) { return 0, -4 }
	n, err := d.Read(context.Background(), make([]byte, 512))
	if n != 0 || !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "rtlsdr_read_sync") {
		t.Fatalf("Read = %d, %v", n, err)
	}
}

func TestReadHonoursContext(t *testing.T) {
	f := newFake("a")
	d, err := openWith(f, Config{})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	f.read = func(buf []byte) (int, int) {
		<-release // a dongle that stopped streaming
		for i := range buf {
			buf[i] = byte(i)
		}
		return len(buf), 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	p := make([]byte, 1024)
	if n, err := d.Read(ctx, p); n != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stalled Read = %d, %v", n, err)
	}
	close(release)
	// The next Read delivers the samples of the read that was in flight.
	if n, err := d.Read(context.Background(), p); n != 1024 || err != nil || p[5] != 5 {
		t.Fatalf("Read after stall = %d, %v", n, err)
	}
	if f.readCalls != 1 {
		t.Errorf("%d read_sync calls, want 1", f.readCalls)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCloseWithReadInFlight(t *testing.T) {
	defer func(w time.Duration) { closeWait = w }(closeWait)
	closeWait = 10 * time.Millisecond
	f := newFake("a")
	d, err := openWith(f, Config{})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	f.read = func(buf []byte) (int, int) { <-release; return len(buf), 0 }
	// A Read without deadline is woken by Close.
	readErr := make(chan error, 1)
	go func() {
		_, err := d.Read(context.Background(), make([]byte, 512))
		readErr <- err
	}()
	for f.readCount() == 0 {
		time.Sleep(time.Millisecond)
	}
	err = d.Close()
	if err == nil || !strings.Contains(err.Error(), "still pending") {
		t.Fatalf("Close = %v", err)
	}
	if err := <-readErr; !errors.Is(err, ErrClosed) {
		t.Errorf("Read woken by Close: %v", err)
	}
	for _, c := range f.Calls() {
		if c == "close" {
			t.Fatal("device closed under a running read_sync")
		}
	}
	close(release) // the read returns; the device is closed after it
	deadline := time.Now().Add(2 * time.Second)
	for !f.closedNow() {
		if time.Now().After(deadline) {
			t.Fatal("device never closed")
		}
		time.Sleep(time.Millisecond)
	}
}

func (f *fakeDev) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.readCalls
}

func (f *fakeDev) closedNow() bool {
	calls := f.Calls()
	return len(calls) > 0 && calls[len(calls)-1] == "close"
}
