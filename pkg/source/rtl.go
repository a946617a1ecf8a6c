package source

// Facts of the RTL2832U + R820T/R828D receiver shared by every way of
// reaching one (librtlsdr, rtl_tcp, the simulator) and by the config checks.

// RTLRateValid reports whether librtlsdr's rtlsdr_set_sample_rate accepts
// r samples per second: 225001–300000 or 900001–3200000.
func RTLRateValid(r float64) bool {
	return r > 225000 && r <= 300000 || r > 900000 && r <= 3200000
}

// R820TGains is the R820T/R828D gain table in tenths of a dB, as librtlsdr
// lists it (rtlsdr_get_tuner_gains).
var R820TGains = []int{0, 9, 14, 27, 37, 77, 87, 125, 144, 157, 166, 197, 207, 229, 254, 280, 297,
	328, 338, 364, 372, 386, 402, 421, 434, 439, 445, 480, 496}

// SnapGain returns the entry of a gain table (tenths of a dB) nearest
// wantTenthsDB, the lower one on a tie; an empty table returns it as is.
func SnapGain(table []int, wantTenthsDB int) int {
	if len(table) == 0 {
		return wantTenthsDB
	}
	best := table[0]
	for _, g := range table[1:] {
		db, dg := abs(best-wantTenthsDB), abs(g-wantTenthsDB)
		if dg < db || (dg == db && g < best) {
			best = g
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
