#!/usr/bin/env bash
# bench-vs-fftw.sh: cellwatch's DSP core against the C + FFTW reference in
# ../shared/bench, on one core, in the same run, on the same file.
#
# 1. builds the reference (installs libfftw3-dev when missing and root) and
#    cellwatch in a temporary directory;
# 2. writes one deterministic 20 s cu8 test file with the reference's -G;
# 3. for each FFT size, checks the spectra agree bin by bin (1e-4 relative),
#    then times the reference and `cellwatch bench dsp --file` alternately
#    (ROUNDS rounds, each the median of REPS passes) pinned to CPU $CORE, and
#    prints the median MS/s per CPU-second of each and their ratio;
# 4. times `cellwatch replay` of the file against the reference's
#    spectra-only pass at the daemon's geometry (N=256, 50 % overlap), in
#    process CPU seconds (user + sys), and prints that ratio (bar: ≤ 2×).
#
# Environment: SIZES (default "256 1024"), OVERLAPS ("0 50"), ROUNDS (5),
# REPS (3), CORE (0), SECONDS_OF_IQ (20), BENCH_DIR (../shared/bench),
# KEEP=1 keeps the temporary directory.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bench_dir=${BENCH_DIR:-$root/../shared/bench}
sizes=${SIZES:-256 1024}
overlaps=${OVERLAPS:-0 50}
rounds=${ROUNDS:-5}
reps=${REPS:-3}
core=${CORE:-0}
seconds=${SECONDS_OF_IQ:-20}

die() { echo "bench-vs-fftw: $*" >&2; exit 1; }

[[ -f $bench_dir/fftw_psd.c ]] || die "no reference at $bench_dir/fftw_psd.c (set BENCH_DIR)"
for v in "$rounds" "$reps" "$core" "$seconds"; do
	[[ $v =~ ^[0-9]+$ ]] || die "ROUNDS, REPS, CORE and SECONDS_OF_IQ must be whole numbers (got '$v')"
done
((rounds >= 1 && reps >= 1 && seconds >= 1)) || die "ROUNDS, REPS and SECONDS_OF_IQ must be at least 1"
command -v gcc >/dev/null || die "gcc is missing (apt-get install -y gcc)"
command -v go >/dev/null || die "go is missing"
command -v taskset >/dev/null || die "taskset is missing (apt-get install -y util-linux)"
taskset -c "$core" true 2>/dev/null || die "cannot pin to CPU $core (set CORE)"

if [[ ! -f /usr/include/fftw3.h ]]; then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		echo "bench-vs-fftw: installing libfftw3-dev" >&2
		apt-get install -y -q libfftw3-dev >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null && apt-get install -y -q libfftw3-dev >/dev/null; } ||
			die "apt-get install libfftw3-dev failed"
	else
		die "libfftw3-dev is missing: run as root, or apt-get install -y libfftw3-dev"
	fi
fi

tmp=$(mktemp -d)
if [[ ${KEEP:-0} == 1 ]]; then
	echo "bench-vs-fftw: keeping $tmp" >&2
else
	trap 'rm -rf "$tmp"' EXIT
fi

gcc -O2 -Wall -o "$tmp/fftw_psd" "$bench_dir/fftw_psd.c" -lfftw3f -lm || die "building the reference failed"
(cd "$root" && go build -o "$tmp/cellwatch" ./cmd/cellwatch) || die "building cellwatch failed"
iq=$tmp/iq.cu8
"$tmp/fftw_psd" -g "$seconds" -G "$iq" 2>/dev/null || die "writing the test file failed"

# field NAME LINE: the value of NAME=… in a key=value line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
# median of the numbers on stdin.
median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) exit 1; print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; pinned to CPU $core; $rounds rounds × median of $reps passes; ${seconds} s of 2.4 MS/s cu8"
echo "go: $(go version | cut -d' ' -f3-), kernels: $("$tmp/cellwatch" bench dsp --file "$iq" --n 256 --reps 1 | sed -n 's/^impl=cellwatch-\([^ ]*\).*/\1/p')"
printf '\n%-6s %-8s %14s %14s %8s %12s\n' N overlap "FFTW MS/s" "cellwatch MS/s" ratio "max rel diff"
fail=0
for n in $sizes; do
	for ov in $overlaps; do
		case $ov in 0) v=0 ;; 50) v=1 ;; *) die "OVERLAPS holds $ov: only 0 and 50" ;; esac
		ref=$tmp/ref_${n}_$ov.f32
		"$tmp/fftw_psd" -f "$iq" -n "$n" -v "$v" -r 1 -w "$ref" >/dev/null || die "reference failed at N=$n"
		if ! cmp=$("$tmp/cellwatch" bench dsp --file "$iq" --n "$n" --overlap "$ov" --reps 1 --compare "$ref" | tail -1); then
			echo "bench-vs-fftw: N=$n overlap=$ov: spectra DISAGREE with the reference" >&2
			fail=1
		fi
		diff=$(field max_rel_diff "$cmp")
		c_runs=() g_runs=()
		for ((r = 0; r < rounds; r++)); do
			c_runs+=("$(field MSps_cpu "$(taskset -c "$core" "$tmp/fftw_psd" -f "$iq" -n "$n" -v "$v" -r "$reps")")")
			g_runs+=("$(field MSps_cpu "$(taskset -c "$core" "$tmp/cellwatch" bench dsp --file "$iq" --n "$n" --overlap "$ov" --reps "$reps")")")
		done
		c=$(printf '%s\n' "${c_runs[@]}" | median)
		g=$(printf '%s\n' "${g_runs[@]}" | median)
		printf '%-6s %-8s %14.1f %14.1f %7.2f× %12s\n' "$n" "$ov%" "$c" "$g" "$(awk -v a="$g" -v b="$c" 'BEGIN {print a/b}')" "$diff"
	done
done

# Replay: the whole detection core (convert, STFT, detector, tracker) on
# the file, against the reference's spectra-only pass at the same geometry.
cpu_of() { # CPU seconds (user+sys) of a pinned command, its output discarded
	local TIMEFORMAT='%U %S'
	{ time taskset -c "$core" "$@" >/dev/null 2>&1; } 2>&1 | awk '{print $1 + $2}'
}
rp_runs=() rf_runs=()
for ((r = 0; r < 3; r++)); do
	rf_runs+=("$(cpu_of "$tmp/fftw_psd" -f "$iq" -n 256 -v 1 -r 1)")
	rp_runs+=("$(cpu_of "$tmp/cellwatch" replay --sample-rate 2400000 --format cu8 "$iq")")
done
rf=$(printf '%s\n' "${rf_runs[@]}" | median)
rp=$(printf '%s\n' "${rp_runs[@]}" | median)
ratio=$(awk -v a="$rp" -v b="$rf" 'BEGIN {printf "%.2f", a/b}')
echo
echo "replay of ${seconds} s cu8 (N=256, 50 % overlap): cellwatch replay ${rp} CPU-s, reference spectra-only ${rf} CPU-s: ${ratio}× (bar ≤ 2×)"
if [[ $fail != 0 ]]; then
	die "spectra disagree (see above)"
fi
