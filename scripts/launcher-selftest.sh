#!/usr/bin/env bash
# Shows that scripts/app skips the build when nothing changed and rebuilds
# when a file of the module is added (make gates-selftest). It builds into a
# temporary directory, so the project's build/ is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
probe=internal/.launcher-selftest-probe
trap 'rm -rf "$tmp" "$probe"' EXIT
export APP_BUILD_DIR=$tmp
built() { date -r "$tmp/app" +%s%N; }
scripts/app build
first=$(built)
start=$(date +%s%N)
scripts/app build
took=$((($(date +%s%N) - start) / 1000000))
if [ "$(built)" != "$first" ]; then
  echo "launcher-selftest: scripts/app rebuilt although nothing changed" >&2
  exit 1
fi
sleep 0.01
: >"$probe"
scripts/app build
if [ "$(built)" = "$first" ]; then
  echo "launcher-selftest: scripts/app did not rebuild after $probe was added" >&2
  exit 1
fi
echo "launcher-selftest: scripts/app skips an unchanged build (${took} ms) and rebuilds after a file is added"
