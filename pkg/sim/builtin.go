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
}

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
		Name:   "corridor-small",
		Seed:   1,
		Sensor: corridorSensor(),
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
