#!/usr/bin/env bash
# The whole test suite: what the README's test command and CI run.
# Plain `go test ./...` also passes; this adds vet, the race detector and the
# corpus of real recordings in ../shared/data (their licences keep them out
# of the repository: tests read them from $CELLWATCH_CORPUS).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CELLWATCH_CORPUS:-}" ] && [ -d ../shared/data ]; then
  CELLWATCH_CORPUS="$(cd ../shared/data && pwd)"
fi
export CELLWATCH_CORPUS="${CELLWATCH_CORPUS:-}"
echo "corpus: ${CELLWATCH_CORPUS:-none (corpus tests will skip)}"

# librtlsdr for the cgo binding (build tag rtlsdr): installed when missing
# and we may (root with apt-get, as on CI); otherwise that part is skipped
# with the reason.
have_librtlsdr() { pkg-config --exists librtlsdr 2>/dev/null; }
if ! have_librtlsdr && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing librtlsdr-dev (Debian) for the rtlsdr build tag…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librtlsdr-dev pkg-config >/dev/null) ||
    echo "apt-get could not install librtlsdr-dev" >&2
fi

# The operations checks run the real tools: promtool and prometheus
# (Debian prometheus), amtool (prometheus-alertmanager), systemd-analyze
# (systemd). Installed when missing and we may; otherwise those tests skip
# and say why.
missing_ops=()
command -v prometheus >/dev/null || missing_ops+=(prometheus)
command -v amtool >/dev/null || missing_ops+=(prometheus-alertmanager)
command -v systemd-analyze >/dev/null || missing_ops+=(systemd)
if [ ${#missing_ops[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing_ops[*]} (Debian) for the operations tests…"
  # A policy-rc.d answering 101 keeps apt from starting their services
  # (unless the machine has its own policy already).
  own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_ops[@]}" >/dev/null) ||
    echo "apt-get could not install ${missing_ops[*]}" >&2
  if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

unformatted=$(gofmt -l cmd pkg deploy)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
# Every test, then every test but the real-time ones under the race
# detector (it slows the DSP ~4×, too slow for a real-time 2.4 MS/s demo).
go test -count=1 "$@" ./...
go test -race -short -count=1 "$@" ./...
# The DSP without its amd64 assembly (the purego tag; what arm64 runs).
go vet -tags purego ./pkg/dsp/ && GOARCH=arm64 go vet ./pkg/dsp/
go test -count=1 -tags purego ./pkg/dsp/
if have_librtlsdr; then
  # The librtlsdr binding: built, vetted and tested with the tag (no dongle
  # here: the tests check what can be checked without one).
  CGO_ENABLED=1 go vet -tags rtlsdr ./...
  CGO_ENABLED=1 go build -tags rtlsdr -o /dev/null ./cmd/cellwatch
  CGO_ENABLED=1 go test -count=1 -short -tags rtlsdr ./pkg/source/rtlsdr/ ./cmd/...
else
  echo "SKIP rtlsdr build tag: librtlsdr-dev is not installed and could not be installed here (needs root and apt-get)"
fi
