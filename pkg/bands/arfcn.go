package bands

import "fmt"

// Channel arithmetic is done in whole kHz and converted once, so results are
// exact (890.2 MHz is 890200000 Hz, not 890199999.9999999).

// GSMUplinkHz returns the uplink centre of a GSM ARFCN (domain.md §1.1,
// libosmocore gsm_arfcn2freq10):
//
//	0–124      P/E-GSM 900   890.0 + 0.2·n MHz
//	128–251    GSM 850       824.2 + 0.2·(n−128)
//	512–885    DCS 1800      1710.2 + 0.2·(n−512)
//	955–1023   R-GSM/E-GSM   890.0 + 0.2·(n−1024)   (955–974 GSM-R, 975–1023 E-GSM)
//
// ARFCNs 512–810 are also PCS 1900 numbers; PCS (1850–1910 MHz) is beyond an
// RTL-SDR's reach, so they are read as DCS.
func GSMUplinkHz(arfcn int) (float64, error) {
	var kHz int
	switch {
	case arfcn >= 0 && arfcn <= 124:
		kHz = 890000 + 200*arfcn
	case arfcn >= 128 && arfcn <= 251:
		kHz = 824200 + 200*(arfcn-128)
	case arfcn >= 512 && arfcn <= 885:
		kHz = 1710200 + 200*(arfcn-512)
	case arfcn >= 955 && arfcn <= 1023:
		kHz = 890000 + 200*(arfcn-1024)
	default:
		return 0, fmt.Errorf("GSM ARFCN %d is not in a supported band (0–124, 128–251, 512–885, 955–1023)", arfcn)
	}
	return float64(kHz) * 1e3, nil
}

// lteBand is one row of TS 36.101 Table 5.7.3-1, uplink side.
type lteBand struct {
	name     string
	ulLowKHz int // F_UL_low
	nOffs    int // N_Offs-UL, the first uplink EARFCN
	nMax     int // last uplink EARFCN
}

// lteBands covers the bands of the EU and NA plans, plus B17 (inside B12).
var lteBands = []lteBand{
	{"B3", 1710000, 19200, 19949},
	{"B5", 824000, 20400, 20649},
	{"B8", 880000, 21450, 21799},
	{"B12", 699000, 23010, 23179},
	{"B13", 777000, 23180, 23279},
	{"B14", 788000, 23280, 23379},
	{"B17", 704000, 23730, 23849},
	{"B20", 832000, 24150, 24449},
	{"B28", 703000, 27210, 27659},
	{"B66", 1710000, 131972, 132671},
	{"B71", 663000, 133122, 133471},
}

// LTEUplinkHz returns the uplink carrier centre of an uplink EARFCN,
// F_UL = F_UL_low + 0.1·(N − N_Offs-UL) MHz (TS 36.101 §5.7.3), for the bands
// of the EU and NA plans (B3, B5, B8, B12, B13, B14, B17, B20, B28, B66, B71).
// Downlink EARFCNs are rejected.
func LTEUplinkHz(earfcn int) (float64, error) {
	for _, b := range lteBands {
		if earfcn >= b.nOffs && earfcn <= b.nMax {
			return float64(b.ulLowKHz+100*(earfcn-b.nOffs)) * 1e3, nil
		}
	}
	return 0, fmt.Errorf("EARFCN %d is not an uplink EARFCN of a supported band (%s)", earfcn, lteBandList())
}

func lteBandList() string {
	s := ""
	for i, b := range lteBands {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %d–%d", b.name, b.nOffs, b.nMax)
	}
	return s
}
