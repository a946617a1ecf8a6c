package bands

import (
	"strings"
	"testing"
)

func TestGSMUplinkHz(t *testing.T) {
	for _, tc := range []struct {
		arfcn int
		want  float64
	}{
		{0, 890.0e6},
		{1, 890.2e6},
		{62, 902.4e6},
		{124, 914.8e6},
		{128, 824.2e6},
		{251, 848.8e6},
		{512, 1710.2e6},
		{791, 1766.0e6}, // last DCS channel an R820T reaches
		{885, 1784.8e6},
		{955, 876.2e6}, // GSM-R
		{974, 880.0e6},
		{975, 880.2e6},
		{1023, 889.8e6},
	} {
		got, err := GSMUplinkHz(tc.arfcn)
		if err != nil || got != tc.want {
			t.Errorf("GSMUplinkHz(%d) = %v, %v; want %v", tc.arfcn, got, err, tc.want)
		}
	}
	for _, bad := range []int{-1, 125, 127, 252, 511, 886, 954, 1024, 5000} {
		if f, err := GSMUplinkHz(bad); err == nil {
			t.Errorf("GSMUplinkHz(%d) = %v, want an error", bad, f)
		}
	}
}

func TestLTEUplinkHz(t *testing.T) {
	for _, tc := range []struct {
		earfcn int
		want   float64
	}{
		{27210, 703.0e6},  // B28 low edge
		{27659, 747.9e6},  // B28 last
		{24150, 832.0e6},  // B20
		{24300, 847.0e6},  // B20
		{21450, 880.0e6},  // B8
		{21625, 897.5e6},  // B8
		{19200, 1710.0e6}, // B3
		{19760, 1766.0e6}, // B3, R820T ceiling
		{19949, 1784.9e6}, // B3 last
		{20400, 824.0e6},  // B5
		{20525, 836.5e6},  // B5
		{23010, 699.0e6},  // B12
		{23095, 707.5e6},  // B12
		{23180, 777.0e6},  // B13
		{23230, 782.0e6},  // B13 10 MHz carrier centre
		{23280, 788.0e6},  // B14
		{23330, 793.0e6},  // B14
		{23790, 710.0e6},  // B17
		{131972, 1710.0e6},
		{132322, 1745.0e6}, // B66
		{133122, 663.0e6},  // B71
		{133297, 680.5e6},  // B71
	} {
		got, err := LTEUplinkHz(tc.earfcn)
		if err != nil || got != tc.want {
			t.Errorf("LTEUplinkHz(%d) = %v, %v; want %v", tc.earfcn, got, err, tc.want)
		}
	}
	for _, bad := range []int{
		-1, 0, 6300, // downlink B20
		19199, 24449 + 1, 27660, 131971, 132672, 133472, 200000,
	} {
		if f, err := LTEUplinkHz(bad); err == nil {
			t.Errorf("LTEUplinkHz(%d) = %v, want an error", bad, f)
		}
	}
}

// Every channel the formulas produce for a plan band lies in that band.
func TestChannelsInsideTheirBands(t *testing.T) {
	for _, b := range lteBands {
		lo, _ := LTEUplinkHz(b.nOffs)
		hi, _ := LTEUplinkHz(b.nMax)
		band, ok := Lookup(lo)
		if !ok || !band.Contains(hi) {
			t.Errorf("%s EARFCN %d–%d (%v–%v Hz) not inside one known uplink band", b.name, b.nOffs, b.nMax, lo, hi)
		}
	}
	for _, n := range []int{0, 124, 975, 1023, 512, 885} {
		f, _ := GSMUplinkHz(n)
		if b, ok := EU.BandAt(f); !ok || !b.HasTech(TechGSM) {
			t.Errorf("GSM ARFCN %d (%v Hz) not in a GSM band of the EU plan", n, f)
		}
	}
	for _, n := range []int{128, 251} {
		f, _ := GSMUplinkHz(n)
		if b, ok := NA.BandAt(f); !ok || b.Name != "B5" {
			t.Errorf("GSM ARFCN %d (%v Hz) not in NA B5", n, f)
		}
	}
}

func TestPlanByName(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		bands      []string
	}{
		{"eu", "eu", []string{"B28", "B20", "B8", "B3"}},
		{"EU", "eu", []string{"B28", "B20", "B8", "B3"}},
		{" na ", "na", []string{"B71", "B12", "B13", "B14", "B5", "B66"}},
	} {
		p, err := PlanByName(tc.name)
		if err != nil {
			t.Fatalf("PlanByName(%q): %v", tc.name, err)
		}
		var got []string
		for _, b := range p.Bands {
			got = append(got, b.Name)
		}
		if p.Name != tc.want || strings.Join(got, ",") != strings.Join(tc.bands, ",") {
			t.Errorf("PlanByName(%q) = %s %v; want %s %v", tc.name, p.Name, got, tc.want, tc.bands)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("plan %s: %v", p.Name, err)
		}
	}
	_, err := PlanByName("apac")
	if err == nil || !strings.Contains(err.Error(), `"apac"`) || !strings.Contains(err.Error(), "eu, na") {
		t.Errorf("PlanByName(apac) error = %v; want it to name the input and list eu, na", err)
	}
	// The returned plan is a copy: changing it leaves the package's plan alone.
	p, _ := PlanByName("eu")
	p.Bands[0].ULLow = 1
	p.Bands[0].Techs[0] = "x"
	if EU.Bands[0].ULLow != 703e6 || EU.Bands[0].Techs[0] != TechLTE {
		t.Error("PlanByName returned an alias of the package's EU plan")
	}
}

func TestPlanEdges(t *testing.T) {
	want := map[string][3]float64{ // UL low, UL high, duplex (MHz)
		"B28": {703, 748, 55}, "B20": {832, 862, -41}, "B8": {880, 915, 45}, "B3": {1710, 1785, 95},
		"B71": {663, 698, -46}, "B12": {699, 716, 30}, "B13": {777, 787, -31}, "B14": {788, 798, -30},
		"B5": {824, 849, 45}, "B66": {1710, 1780, 400},
	}
	n := 0
	for _, p := range []Plan{EU, NA} {
		for _, b := range p.Bands {
			w, ok := want[b.Name]
			if !ok {
				t.Errorf("unexpected band %s in plan %s", b.Name, p.Name)
				continue
			}
			n++
			if b.ULLow != w[0]*1e6 || b.ULHigh != w[1]*1e6 || b.DuplexHz != w[2]*1e6 {
				t.Errorf("%s: %v–%v duplex %v; want %v", b.Name, b.ULLow, b.ULHigh, b.DuplexHz, w)
			}
			if len(b.Techs) == 0 || !b.HasTech(TechLTE) {
				t.Errorf("%s: techs %v lack lte", b.Name, b.Techs)
			}
		}
	}
	if n != len(want) {
		t.Errorf("found %d of %d bands", n, len(want))
	}
}

func TestBandAtAndLookup(t *testing.T) {
	for _, tc := range []struct {
		p    Plan
		f    float64
		want string // "" = none
	}{
		{EU, 703e6, "B28"},
		{EU, 748e6, "B28"},
		{EU, 850e6, "B20"},
		{EU, 800e6, ""}, // B20 downlink
		{EU, 947.5e6, ""},
		{EU, 1785e6, "B3"},
		{EU, 1785.1e6, ""},
		{NA, 698.5e6, ""}, // between B71 and B12
		{NA, 710e6, "B12"},
		{NA, 787.5e6, ""},
		{NA, 790e6, "B14"},
		{NA, 1779e6, "B66"},
	} {
		b, ok := tc.p.BandAt(tc.f)
		if ok != (tc.want != "") || b.Name != tc.want {
			t.Errorf("%s.BandAt(%v) = %q, %v; want %q", tc.p.Name, tc.f, b.Name, ok, tc.want)
		}
	}
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{680e6, "B71"}, {720e6, "B28"}, {782e6, "B13"}, {840e6, "B20"}, {830e6, "B5"},
		{900e6, "B8"}, {1720e6, "B3"}, {1782e6, "B3"},
		{650e6, ""}, {760e6, ""}, {950e6, ""}, {1842.5e6, ""}, {2140e6, ""},
	} {
		b, ok := Lookup(tc.f)
		if ok != (tc.want != "") || b.Name != tc.want {
			t.Errorf("Lookup(%v) = %q, %v; want %q", tc.f, b.Name, ok, tc.want)
		}
	}
	if b, ok := EU.Band("b20"); !ok || b.Name != "B20" {
		t.Errorf(`EU.Band("b20") = %v, %v`, b.Name, ok)
	}
}

func TestTunerReach(t *testing.T) {
	b3, _ := EU.Band("B3")
	if r, ok := R820T.Reachable(b3); !ok || r.LowHz != 1710e6 || r.HighHz != 1766e6 {
		t.Errorf("R820T reach of B3 = %v, %v", r, ok)
	}
	blind := R820T.Blind(b3)
	if len(blind) != 1 || blind[0] != (Range{LowHz: 1766e6, HighHz: 1785e6, Band: "B3"}) {
		t.Errorf("R820T blind in B3 = %v", blind)
	}
	if got := blind[0].String(); got != "B3 1766.000–1785.000 MHz" {
		t.Errorf("Range.String = %q", got)
	}
	b66, _ := NA.Band("B66")
	if blind := R820T.Blind(b66); len(blind) != 1 || blind[0].LowHz != 1766e6 || blind[0].HighHz != 1780e6 {
		t.Errorf("R820T blind in B66 = %v", blind)
	}
	for _, p := range []Plan{EU, NA} {
		for _, b := range p.Bands {
			if b.Name == "B3" || b.Name == "B66" {
				continue
			}
			if blind := R820T.Blind(b); blind != nil {
				t.Errorf("R820T blind in %s = %v; want none", b.Name, blind)
			}
		}
	}
	// A tuner that misses a band entirely, and one that misses both ends.
	b1 := Band{Name: "B1", ULLow: 1920e6, ULHigh: 1980e6}
	if _, ok := R820T.Reachable(b1); ok {
		t.Error("B1 reachable by R820T")
	}
	if blind := R820T.Blind(b1); len(blind) != 1 || blind[0] != b1.Range() {
		t.Errorf("R820T blind in B1 = %v", blind)
	}
	narrow := Tuner{Name: "narrow", MinHz: 710e6, MaxHz: 740e6}
	b28, _ := EU.Band("B28")
	want := []Range{{703e6, 710e6, "B28"}, {740e6, 748e6, "B28"}}
	if blind := narrow.Blind(b28); len(blind) != 2 || blind[0] != want[0] || blind[1] != want[1] {
		t.Errorf("narrow blind in B28 = %v; want %v", blind, want)
	}
}

func TestPlanValidate(t *testing.T) {
	for _, p := range []Plan{
		{Name: "empty"},
		{Name: "noname", Bands: []Band{{ULLow: 1, ULHigh: 2}}},
		{Name: "inverted", Bands: []Band{{Name: "X", ULLow: 2e6, ULHigh: 1e6}}},
		{Name: "overlap", Bands: []Band{EU.Bands[3], NA.Bands[5]}},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("plan %s validated", p.Name)
		}
	}
}
