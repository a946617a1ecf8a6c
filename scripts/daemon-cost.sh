#!/usr/bin/env bash
# daemon-cost.sh: what the whole daemon costs on one receiver, in CPU and
# memory, the way docs/performance.md ("What the daemon costs") reports it.
#
# 1. builds cellwatch in a temporary directory (or uses $CELLWATCH);
# 2. MODE=rtltcp (default): starts `cellwatch rtltcp-serve` (the simulated
#    corridor, real time, sending rtl_tcp's 256 KiB buffers unless
#    SERVER_ARGS says otherwise, e.g. "--buffer 16384") and a daemon with
#    one rtltcp source on the EU plan at the default dwell and settle;
#    MODE=demo: the daemon with no config (the simulator in the process);
# 3. after WARMUP seconds, reads the daemon's user and system CPU from
#    /proc/PID/stat over DURATION seconds, its context switches (all
#    threads) and its peak RSS (VmHWM), and, from its own /metrics, the
#    passes made, their mean length and the bytes the Go heap allocated
#    per hop;
# 4. prints one line per run (REPEAT runs), with the load average before and
#    after: the machine is shared, so say what else was running.
#
# Environment: MODE (rtltcp), DURATION (60, seconds), WARMUP (5), REPEAT (1),
# SERVER_ARGS (""), PORT (12345), WEB_PORT (19818), CELLWATCH (build).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
mode=${MODE:-rtltcp}
secs=${DURATION:-60}
warmup=${WARMUP:-5}
repeat=${REPEAT:-1}
port=${PORT:-12345}
web=${WEB_PORT:-19818}

die() { echo "daemon-cost: $*" >&2; exit 1; }
[ -r /proc/self/stat ] || die "needs Linux /proc"
command -v curl >/dev/null || die "needs curl"

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

bin=${CELLWATCH:-}
if [ -z "$bin" ]; then
	(cd "$root" && go build -o "$tmp/cellwatch" ./cmd/cellwatch) || die "build failed"
	bin=$tmp/cellwatch
fi

cat >"$tmp/rtltcp.yaml" <<EOF
sensor:
  site: bench
  id: bench-1
  zone: bench
plan: eu
sources:
  - name: tcp0
    kind: rtltcp
    address: 127.0.0.1:$port
web:
  listen_address: "127.0.0.1:$web"
EOF

cpu() { awk '{print $14, $15}' "/proc/$1/stat"; }
ctxsw() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s + 0}'; }
metric() { curl -fsS "127.0.0.1:$web/metrics" | awk -v m="$1" '$1 ~ "^"m {s += $2} END {print s + 0}'; }

tck=$(getconf CLK_TCK)
for run in $(seq "$repeat"); do
	if [ "$mode" = rtltcp ]; then
		# shellcheck disable=SC2086
		"$bin" rtltcp-serve --listen "127.0.0.1:$port" ${SERVER_ARGS:-} >"$tmp/server.log" 2>&1 &
		srv=$!
		pids+=("$srv")
		sleep 0.5
		kill -0 "$srv" 2>/dev/null || die "rtltcp-serve did not start: $(cat "$tmp/server.log")"
		"$bin" run --config.file "$tmp/rtltcp.yaml" >"$tmp/daemon.log" 2>&1 &
	elif [ "$mode" = demo ]; then
		"$bin" run --web.listen-address "127.0.0.1:$web" >"$tmp/daemon.log" 2>&1 &
	else
		die "MODE=$mode: want rtltcp or demo"
	fi
	d=$!
	pids+=("$d")
	sleep "$warmup"
	kill -0 "$d" 2>/dev/null || die "the daemon exited: $(tail -3 "$tmp/daemon.log")"
	read -r u0 s0 < <(cpu "$d")
	c0=$(ctxsw "$d")
	n0=$(metric cellwatch_sweep_duration_seconds_count)
	t0=$(metric cellwatch_sweep_duration_seconds_sum)
	a0=$(metric go_memstats_alloc_bytes_total)
	l0=$(cut -d' ' -f1 /proc/loadavg)
	sleep "$secs"
	read -r u1 s1 < <(cpu "$d")
	c1=$(ctxsw "$d")
	n1=$(metric cellwatch_sweep_duration_seconds_count)
	t1=$(metric cellwatch_sweep_duration_seconds_sum)
	a1=$(metric go_memstats_alloc_bytes_total)
	l1=$(cut -d' ' -f1 /proc/loadavg)
	hwm=$(awk '/VmHWM/ {print $2}' "/proc/$d/status")
	hops=$(grep -o 'visits_per_pass=[0-9]*' "$tmp/daemon.log" | head -1 | cut -d= -f2)
	kill -TERM "$d"
	wait "$d" 2>/dev/null || true
	if [ "$mode" = rtltcp ]; then
		kill -TERM "$srv"
		wait "$srv" 2>/dev/null || true
	fi
	pids=()
	awk -v mode="$mode" -v run="$run" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v k="$tck" -v t="$secs" \
		-v cs=$((c1 - c0)) -v hwm="$hwm" -v n=$((n1 - n0)) -v dt="$(echo "$t1 $t0" | awk '{print $1 - $2}')" \
		-v a="$(echo "$a1 $a0" | awk '{print $1 - $2}')" -v hops="${hops:-0}" -v l0="$l0" -v l1="$l1" 'BEGIN {
		printf "%s run %d: user %.2f s + sys %.2f s over %d s = %.2f %% of a core (user %.2f %%, sys %.2f %%); ", mode, run, u/k, s/k, t, 100*(u+s)/k/t, 100*u/k/t, 100*s/k/t
		printf "%d passes of %.2f s (%d visits: %.1f hops/s), %.1f KB allocated per hop; ", n, (n ? dt/n : 0), hops, (dt ? n*hops/dt : 0), (n*hops ? a/n/hops/1e3 : 0)
		printf "%.0f context switches/s; peak RSS %.1f MB; load %s -> %s\n", cs/t, hwm/1024, l0, l1
	}'
done
