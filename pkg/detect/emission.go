package detect

// Tech is the technology an emission was classified as.
type Tech string

// The values of Tech; they are the "tech" field of the emission record
// (design.md §4) and the tech label of metrics.
const (
	GSM     Tech = "gsm"
	LTE     Tech = "lte"
	UMTS    Tech = "umts"
	NR      Tech = "nr"
	Unknown Tech = "unknown-cellular"
	// Clutter is energy that is not a handset: spurs, CW carriers, chirps,
	// continuous downlink. It is never alerted on.
	Clutter Tech = "clutter"
)

// Emission is one handset transmission episode on one channel: bursts
// grouped in frequency and time. Times are seconds since the start of the
// stream (the daemon maps them to wall-clock time).
type Emission struct {
	Start, End  float64 // s
	FreqHz      float64 // centre, absolute RF when the tune is known, else baseband offset
	BandwidthHz float64
	Tech        Tech
	Band        string // uplink band name ("B8"), "" when unknown
	Bursts      int
	SNRdB       float64 // strongest burst, in-band power over the noise floor
	PowerDBFS   float64 // strongest burst, mean in-band power relative to full scale
	// PowerDBm is PowerDBFS at the antenna port, when the receiver is
	// calibrated (HasDBm); the detector never knows, the daemon fills it.
	PowerDBm float64
	HasDBm   bool
	// Reason says why an emission is clutter ("narrow persistent line", …); empty otherwise.
	Reason string
}
