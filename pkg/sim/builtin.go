package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
)

var builtins = map[string]func() *Scene{
	"corridor-small": corridorSmall,
	"noise-only":     noiseOnly,
	"corridor-live":  func() *Scene { return corridorLive("corridor-live") },
	"antenna-cut":    antennaCut,
	"jammer":         jammer,
}

// TamperAt is when the tamper event of the built-in "antenna-cut" and
// "jammer" scenes starts: after the daemon's 30 s warm-up and enough
// sweeps to learn the ambient.
const TamperAt = 45 * time.Second

// BuiltinNames lists the scenes Builtin knows, sorted.
func BuiltinNames() []string {
	var names []string
	for n := range builtins {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Builtin returns a fresh copy of a built-in scene:
//
//   - corridor-small: a 20 m corridor of block B2 with six cells and one
//     ceiling sensor; a GSM call on B8, an LTE B20 phone with a data session
//     every 6 s, an LTE B3 phone with one every 30 s, an idle B28 phone, a
//     LoRa node at 868.1 MHz, RTL spurs and DC offset. In-channel SNRs at the
//     sensor span about 10–37 dB; nothing clips.
//   - noise-only: the same sensor with nothing on the air and no receiver
//     impairments but thermal noise.
//   - corridor-live: corridor-small in its surroundings: downlink carriers
//     leaking in (B28, B20, B8 LTE, U900, a GSM BCCH), phones outside the
//     block (LTE keep-alives, a U900 call, a hopping power-controlled GSM
//     call, NR n28), an RFID reader, TETRA, and the full receiver (gain
//     40.2 dB, IQ imbalance, hop-edge droop, retune settling).
//   - antenna-cut: corridor-live whose antenna is cut at TamperAt: every
//     external signal drops 40 dB, the dongle's own noise and spurs stay.
//   - jammer: corridor-live with a wideband jammer over 880–960 MHz from
//     TamperAt, lifting the floor there 20 dB.
func Builtin(name string) (*Scene, error) {
	f, ok := builtins[name]
	if !ok {
		return nil, fmt.Errorf("sim: no built-in scene %q (have %v)", name, BuiltinNames())
	}
	return f(), nil
}

func corridorSensor() Sensor {
	return Sensor{Name: "b2-corridor-1", Zone: "B2-corridor", X: 1, Y: 1.5, NoiseFigureDB: 6, FullScaleDBm: -67}
}

func corridorSmall() *Scene {
	const wall = 15 // dB, reinforced concrete (domain.md §4.1: plan 10–25)
	north, south := "B2-cells-11-14", "B2-cells-21-22"
	sc := &Scene{
		Name:             "corridor-small",
		Seed:             1,
		Sensor:           corridorSensor(),
		PathLossExponent: DefaultPathLossExponent,
		Cells: []Cell{
			{Name: "B2-cell-11", Zone: north, X: 2, Y: 3, W: 4, H: 4},
			{Name: "B2-cell-12", Zone: north, X: 6, Y: 3, W: 4, H: 4},
			{Name: "B2-cell-13", Zone: north, X: 10, Y: 3, W: 4, H: 4},
			{Name: "B2-cell-14", Zone: north, X: 14, Y: 3, W: 4, H: 4},
			{Name: "B2-cell-21", Zone: south, X: 6, Y: -4, W: 4, H: 4},
			{Name: "B2-cell-22", Zone: south, X: 10, Y: -4, W: 4, H: 4},
		},
		Walls: []Wall{
			{0, 3, 20, 3, wall}, {0, 0, 20, 0, wall}, // corridor
			{2, 3, 2, 7, wall}, {6, 3, 6, 7, wall}, {10, 3, 10, 7, wall}, {14, 3, 14, 7, wall}, {18, 3, 18, 7, wall},
			{6, 0, 6, -4, wall}, {10, 0, 10, -4, wall}, {14, 0, 14, -4, wall},
			{2, 7, 18, 7, wall}, {6, -4, 14, -4, wall}, // outer
		},
		Phones: []Phone{
			{
				// ARFCN 40, power-controlled to 13 dBm
				ID: "gsm-b8-1", Tech: detect.GSM, X: 12, Y: 4.5, TxPowerDBm: 13, FreqHz: 898.0e6,
				Schedule: []Activity{{Kind: Call, Start: 300 * time.Millisecond, Duration: 10 * time.Minute, Every: 15 * time.Minute}},
			},
			{
				ID: "lte-b20-1", Tech: detect.LTE, X: 8, Y: -2, TxPowerDBm: -3, FreqHz: 847.0e6, BandwidthHz: 10e6,
				InactivityTimer: 3 * time.Second,
				Schedule:        []Activity{{Kind: Data, Start: 1200 * time.Millisecond, Duration: 1500 * time.Millisecond, Every: 6 * time.Second}},
			},
			{
				ID: "lte-b3-1", Tech: detect.LTE, X: 16, Y: 5, TxPowerDBm: 11, FreqHz: 1745.0e6, BandwidthHz: 20e6,
				Schedule: []Activity{{Kind: Data, Start: 3 * time.Second, Duration: 2 * time.Second, Every: 30 * time.Second}},
			},
			{ID: "lte-b28-idle", Tech: detect.LTE, X: 4, Y: 5, TxPowerDBm: 0, FreqHz: 718.0e6, BandwidthHz: 10e6},
		},
		Chirpers: []Chirper{{Name: "lora-868.1", FreqHz: 868.1e6, SF: 9, Symbols: 24, Start: 2 * time.Second,
			Period: 15 * time.Second, RxPowerDBm: -95}},
		Spurs:    true,
		DCOffset: true,
	}
	return sc
}

func noiseOnly() *Scene {
	return &Scene{Name: "noise-only", Seed: 1, Sensor: corridorSensor()}
}

// corridorLive is corridor-small with the ambient a real corridor hears and
// a realistic receiver (domain.md §4.3, §4.4, §6).
func corridorLive(name string) *Scene {
	sc := corridorSmall()
	sc.Name = name
	sc.Sensor.FullScaleDBm = 0
	sc.Sensor.GainDB = 40.2
	sc.Sensor.IQGainDB, sc.Sensor.IQPhaseDeg = 0.3, 2
	sc.Sensor.EdgeDroop = true
	sc.Sensor.SettleTau = 300 * time.Microsecond
	// The block's facade (P.2109 median building entry loss at 0.9 GHz,
	// domain.md §4.1) between the corridor and the outside.
	sc.Walls = append(sc.Walls, Wall{-30, -30, -30, 40, 14}, Wall{-30, 40, 60, 40, 14})
	sc.Phones = append(sc.Phones,
		Phone{ID: "out-lte-b20-a", Tech: detect.LTE, X: -60, Y: 10, TxPowerDBm: -8, FreqHz: 837e6, BandwidthHz: 10e6,
			SRSPeriod: 20 * time.Millisecond,
			Schedule: []Activity{{Kind: KeepAlive, Start: 4 * time.Second, Every: 30 * time.Second},
				{Kind: Data, Start: 17 * time.Second, Duration: 3 * time.Second, Every: 47 * time.Second}}},
		Phone{ID: "out-lte-b20-b", Tech: detect.LTE, X: -80, Y: 2, TxPowerDBm: -5, FreqHz: 857e6, BandwidthHz: 10e6,
			Schedule: []Activity{{Kind: KeepAlive, Start: 9 * time.Second, Every: 60 * time.Second},
				{Kind: Update, Start: 25 * time.Second, Every: 54 * time.Minute}}},
		Phone{ID: "out-umts-b8", Tech: detect.UMTS, X: -70, Y: -20, TxPowerDBm: -2, FreqHz: 907.6e6,
			Schedule: []Activity{{Kind: Call, Start: 6 * time.Second, Duration: 90 * time.Second, Every: 4 * time.Minute}}},
		Phone{ID: "out-gsm-b8", Tech: detect.GSM, X: -90, Y: -5, TxPowerDBm: 5, FreqHz: 890.2e6, PowerControl: true, DTX: true,
			HopFreqsHz: []float64{891.0e6, 892.0e6, 893.0e6, 894.0e6, 895.0e6},
			Schedule:   []Activity{{Kind: Call, Start: 11 * time.Second, Duration: time.Minute, Every: 3 * time.Minute}}},
		Phone{ID: "out-nr-n28", Tech: detect.NR, X: -50, Y: 60, TxPowerDBm: -6, FreqHz: 708e6, BandwidthHz: 10e6,
			Schedule: []Activity{{Kind: KeepAlive, Start: 14 * time.Second, Every: 28 * time.Minute},
				{Kind: Data, Start: 33 * time.Second, Duration: 5 * time.Second, Every: 2 * time.Minute}}},
	)
	// Downlink leakage: RSRP about −100…−110 dBm per subcarrier behind the
	// walls, so a 10 MHz LTE carrier totals about −75 dBm, 13 dB under the
	// 8-bit full scale at this gain (stronger ones clip).
	sc.Carriers = []Carrier{
		{Name: "dl-b28-lte", Kind: CarrierLTEDL, FreqHz: 763e6, BandwidthHz: 10e6, RxPowerDBm: -78},
		{Name: "dl-b20-lte", Kind: CarrierLTEDL, FreqHz: 806e6, BandwidthHz: 10e6, RxPowerDBm: -75},
		{Name: "dl-b8-lte", Kind: CarrierLTEDL, FreqHz: 947.5e6, BandwidthHz: 5e6, RxPowerDBm: -80},
		{Name: "dl-b8-umts", Kind: CarrierUMTSDL, FreqHz: 952.6e6, RxPowerDBm: -82},
		{Name: "dl-b8-gsm-bcch", Kind: CarrierGSMDL, FreqHz: 935.2e6, RxPowerDBm: -85},
		{Name: "rfid-865.7", Kind: CarrierCW, FreqHz: 865.7e6, RxPowerDBm: -80, Start: 20 * time.Second, Until: 26 * time.Second},
	}
	sc.Tetras = []Tetra{{Name: "tetra-382.5", FreqHz: 382.5125e6, Slot: 1, Start: 3 * time.Second, Duration: 4 * time.Second,
		Every: 40 * time.Second, RxPowerDBm: -85}}
	return sc
}

func antennaCut() *Scene {
	sc := corridorLive("antenna-cut")
	sc.Events = []Event{{Kind: EventAntennaCut, At: TamperAt, LossDB: DefaultCutLossDB}}
	return sc
}

func jammer() *Scene {
	sc := corridorLive("jammer")
	sc.Events = []Event{{Kind: EventJammer, At: TamperAt, LowHz: 880e6, HighHz: 960e6, RiseDB: DefaultJamRiseDB}}
	return sc
}
