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

unformatted=$(gofmt -l cmd pkg)
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
