// Package sim is cellwatch's scene simulator: handsets in prison cells and
// outside the walls that call, text, update their location and keep apps
// alive; the walls between them and one or several sensors; base stations,
// radios and gadgets that are not handsets; and an RTL-SDR-like receiver.
// It produces the cu8 stream a dongle would deliver at whatever frequency it
// is tuned to, and records the truth: which emitter transmitted what, when,
// where, in which zone, and how strongly at each sensor.
//
// Everything is deterministic for a scene and seed. What the emitters do
// (schedules, bursts, allocations, hops, payload bits) is derived from the
// seed alone, never from how the stream is tuned or read, so truth is the
// same whatever the sweeper does; the receiver noise is one sequential
// stream, so the same sequence of Tune/Generate calls gives the same bytes,
// however the reads are cut. Scenes come from Builtin or from YAML files
// (LoadFile; configs/scenes/).
//
// The model and its numbers, with the section of ../shared/domain.md they
// come from:
//
// Handsets (§2, §2.1):
//   - GSM: GMSK BT 0.3 at 270.833 kbit/s; normal bursts of 156.25 bits
//     (576.9 µs, 10 µs ramps) on one timeslot per 60/13 ms TDMA frame during
//     a call (the idle frame of the 26-multiframe left out); with DTX only
//     the SACCH and SID frames in speech pauses (ITU-T P.59 talk spurts of
//     1.0 s, pauses of 1.6 s; TS 45.008 §8.3); SDCCH
//     signalling as 4 bursts per 51-multiframe; an 88-bit RACH access burst
//     (325 µs) before each call, SMS or location update. Frequency hopping:
//     cyclic over the phone's hopping list, one frame per hop (TS 45.002
//     §6.2.3, HSN 0). Power control: RACH at MS_TXPWR_MAX_CCH (33 dBm at
//     900 MHz, 30 dBm at 1800), the dedicated channel starting there and
//     stepping 2 dB per 60 ms down to the phone's level.
//   - LTE: SC-FDMA, 15 kHz subcarriers, 180 kHz RBs, 1 ms subframes of two
//     7-symbol slots (DFT-spread QPSK, Zadoff-Chu DMRS on symbol 3); PUSCH on
//     contiguous allocations of 2^a·3^b·5^c RBs (up to 12, or the phone's
//     max_rbs); PUCCH one RB at one carrier
//     edge in slot 0 and the other edge in slot 1 (0.5 ms each), every 5–20
//     ms while connected; PRACH format 0 (839 Zadoff-Chu tones at 1.25 kHz
//     = 1.05 MHz, 103 µs CP + 800 µs); SRS on the last symbol (71.4 µs) of
//     subframes on its period, comb 2 over the PUSCH region. Power per RB
//     from the phone's level (P_O + α·PL), capped at 23 dBm.
//   - NR (n28 and other FR1 bands): the LTE model on the NR RB counts (5,
//     10, 15, 20 MHz = 25, 52, 79, 106 RBs at 15 kHz), PUCCH 0–3 RBs in
//     from the edges (NR configures it), tech "nr".
//   - UMTS: WCDMA 3.84 Mcps, RRC α 0.22 (raised-cosine spectrum, −3 dB at
//     ±1.92 MHz, 4.68 MHz occupied); 1–3 PRACH preambles of 4096 chips
//     (1.07 ms) ramping 1 dB, then continuous 10 ms frames in CELL_DCH with
//     ±1 dB inner-loop wander, 6 dB lower (DPCCH only) in the tail; 24 dBm
//     max.
//
// Behaviour over time (§3): Activities call, sms, data, update (GSM
// location update; LTE/NR tracking-area update: a few small PUSCH) and
// keepalive (an app heartbeat: one short exchange), each recurring on its
// Every. Every LTE/NR/UMTS activity opens with random access (unless the
// previous occurrence is still connected) and ends with the RRC inactivity
// tail (default 10 s) of periodic PUCCH (and SRS). Idle phones (no
// schedule) are silent. Activities of one phone are planned independently:
// overlapping ones overlap.
//
// Propagation (§4.1, §4.2): free space at 1 m (20·log10 f_MHz − 27.55 dB),
// log-distance beyond (exponent 2.8 indoors by default, 2.4 in the
// perimeter scene), plus the loss of every wall the straight path to each
// sensor crosses: 10–25 dB of reinforced concrete, 14 dB of facade (P.2109
// median at 0.9 GHz); optional log-normal shadowing fixed per phone–sensor
// link (shadowing_db: 4 dB in block-large, 6 dB in perimeter-road). Phones
// outside are power-controlled low. No fast fading.
//
// Clutter (§4.3, §6): base-station downlink carriers (lte-dl OFDM, umts-dl,
// a gsm-dl BCCH hump) at a fixed received level; CW carriers (RFID
// readers); LoRa-like chirps (8 preamble up-chirps, 2.25 down-chirps,
// payload) in 863–870 MHz; TETRA handsets (π/4-DQPSK, 18 ksym/s, RRC 0.35,
// one 12.8 ms burst per 56.67 ms frame) at 380–400 MHz.
//
// Receiver (§4.4): thermal noise kTB·NF (NF 6 dB; at a manual gain G the
// stages behind add (F2 − 1)/G with F2 = 30 dB); the 8-bit full scale at
// −27.4 dBm − G (so 40.2 dB gives −67.6 dBm and the floor sits at
// −36 dBFS; below ~35 dB of gain the quantiser sets the floor); offset-binary
// quantisation with hard clipping; DC offset (−40 dBFS); I/Q imbalance
// (0.3 dB, 2° ≈ 32 dB image rejection); the RTL2832 roll-off at the hop
// edges (13-tap filter: −2.5 dB at ±0.4·fs, −10 dB at fs/2); after each
// retune a transient (PLL off by 5–30 kHz, gain 50–90 % down, a −20 dBFS DC
// step, all decaying with settle_tau, 300 µs in the built-in live scenes);
// spurs at every multiple of 28.8 MHz (−105 dBm); with a finite iip3_dbm,
// the third-order intermodulation of every pair of carriers (2·fA − fB at
// 2·PA + PB − 2·IIP3, Gaussian-shaped over 2·BA + BB): how downlink
// outside the capture (even above the tuner's range, up to 3 GHz) reaches
// the uplink bands.
//
// Tamper events: antenna-cut attenuates every external signal (handsets,
// downlink, clutter, jammers) by 40 dB from its time on, leaving the
// receiver's noise, DC and spurs; jammer adds flat noise over a span that
// lifts the floor there 20 dB over thermal. The built-in "antenna-cut" and
// "jammer" scenes start them at TamperAt (45 s).
package sim
