package iq

import "testing"

func TestParseNameHints(t *testing.T) {
	cases := []struct {
		name string
		want Hints
	}{
		// rtl_433
		{"g001_882.4M_2.4M.cu8", Hints{CU8, 2.4e6, 882.4e6}},
		{"rec_1747.5M_2400k_.cs16", Hints{CS16, 2.4e6, 1747.5e6}},
		{"x_433.92M_250k.cu8", Hints{CU8, 250e3, 433.92e6}},
		{"/var/lib/cellwatch/g005_868.3M_1024k.cs8", Hints{CS8, 1024e3, 868.3e6}},
		{"g002_1.8G_2.048M.cf32", Hints{CF32, 2.048e6, 1.8e9}},
		{"x_2400k.cu8", Hints{CU8, 2.4e6, 0}},                               // lone k below 10M: a rate
		{"x_882.4M.cu8", Hints{CU8, 0, 882.4e6}},                            // lone ≥10M: a frequency
		{"x_2.4M.cu8", Hints{Format: CU8}},                                  // lone M below 10M: ambiguous
		{"x_250k_433.92M.cu8", Hints{Format: CU8}},                          // "frequency" below "rate": ambiguous
		{"g001_882.4M_2.4M", Hints{SampleRate: 2.4e6, CenterFreq: 882.4e6}}, // no extension
		{"x_882.4M_2.4M.sc16", Hints{CS16, 2.4e6, 882.4e6}},
		{"x_882.4M_2.4M.fc32", Hints{CF32, 2.4e6, 882.4e6}},
		// GNU Radio / GSMSP
		{"GSMSP_20070204_robert_dbsrx_937MHz_16.cfile", Hints{CF32, 0, 937e6}},
		{"GSMSP_20070204_robert_dbsrx_941.0MHz_128.cfile", Hints{CF32, 0, 941e6}},
		{"cap_937MHz_2.4Msps.cu8", Hints{CU8, 2.4e6, 937e6}},
		{"cap_937MHz_940MHz.cu8", Hints{Format: CU8}}, // two frequencies: ambiguous
		{"cap_937MHz_938M_2.4M.cu8", Hints{Format: CU8, SampleRate: 2.4e6}},
		// LTE-Cell-Scanner
		{"f796_s1.92_bw1.2_0.08s_rtlsdr.bin", Hints{CU8, 1.92e6, 796e6}},
		{"f1815.3_s1.92_bw1.2_0.08s_rtlsdr.bin", Hints{CU8, 1.92e6, 1815.3e6}},
		{"f1815_s1.92_from_dimitri_rtlsdr.bin", Hints{CU8, 1.92e6, 1815e6}},
		{"f1860_s1.92_g0_1s_rtlsdr.bin", Hints{CU8, 1.92e6, 1860e6}},
		{"f1890_s19.2_bw20_0.08s_hackrf_home2.bin", Hints{CS8, 19.2e6, 1890e6}},
		{"signal_sidelink_qc9150_f5.92e9_s15.36e6_50prb_20offset.dat", Hints{0, 15.36e6, 5.92e9}},
		{"f796_bw1.2_s1.92_rtlsdr.bin", Hints{Format: CU8}},       // f and s not adjacent
		{"f1_s2_rtlsdr.bin", Hints{Format: CU8}},                  // f below s
		{"f796_s1.92_rtlsdr_hackrf.bin", Hints{0, 1.92e6, 796e6}}, // two devices
		{"f796_s1.92_rtlsdr.raw", Hints{0, 1.92e6, 796e6}},        // device counts only in .bin
		{"x_796M_1.92M_f800_s1.92_rtlsdr.bin", Hints{CU8, 1.92e6, 0}},
		// nothing
		{"capture.bin", Hints{}},
		{"capture.raw", Hints{}},
		{"capture.u8", Hints{}},
		{"iq-ul-4bursts.cf64", Hints{}},
		{"signal.1.92M.dat", Hints{}},
		{"signal_sidelink_huawei_s11.52e6_50prb_10prb_offset_with_retx.dat", Hints{}},
		{"binintest_uplinkPHY_real_samples1.infile", Hints{}},
		{"rtlsdr.bin", Hints{Format: CU8}},
		{"x_433.92m_250k.cu8", Hints{CU8, 250e3, 0}}, // m is milli: not a token
		{"x_-433M_2.4M.cu8", Hints{Format: CU8}},
		{"", Hints{}},
		{".cu8", Hints{}},
	}
	for _, c := range cases {
		if got := ParseNameHints(c.name); got != c.want {
			t.Errorf("ParseNameHints(%q) = %+v, want %+v", c.name, got, c.want)
		}
	}
}
