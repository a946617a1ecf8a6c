package bands

import "testing"

func TestDownlinkAndShortRange(t *testing.T) {
	cases := []struct {
		plan       Plan
		f          float64
		dl, srd    bool
		wantDLBand string
	}{
		{EU, 937e6, true, false, "B8"},     // GSM 900 downlink
		{EU, 796e6, true, false, "B28"},    // LTE 800 downlink (also inside B28 downlink, first in plan order)
		{EU, 821.19e6, true, false, "B20"}, // skirt just past the B20 downlink edge
		{EU, 826e6, false, false, ""},      // B20 duplex gap, 5 MHz from the downlink
		{EU, 898e6, false, false, ""},      // B8 uplink
		{EU, 1815e6, true, false, "B3"},
		{EU, 868.1e6, false, true, ""}, // LoRa
		{EU, 433.92e6, false, true, ""},
		{NA, 880e6, true, false, "B5"}, // B5 downlink 869–894
		{NA, 915e6, false, true, ""},   // US ISM
		{NA, 840e6, false, false, ""},  // B5 uplink
	}
	for _, c := range cases {
		b, dl := c.plan.DownlinkAt(c.f)
		_, srd := c.plan.ShortRangeAt(c.f)
		if dl != c.dl || srd != c.srd || (dl && b.Name != c.wantDLBand) {
			t.Errorf("%s %.2f MHz: downlink %v (%s), short-range %v; want %v (%s), %v", c.plan.Name, c.f/1e6, dl, b.Name, srd, c.dl, c.wantDLBand, c.srd)
		}
	}
}
