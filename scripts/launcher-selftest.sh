#!/usr/bin/env bash
# Shows that scripts/app skips the build when nothing changed and rebuilds
# when a file of the module is added (make gates-selftest). It runs in a
# copy of the tracked files, so that steps running beside it (which write
# into the work tree) cannot disturb it and the project's build/ is left
# alone.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$tmp"
cd "$tmp"
built() { date -r build/app +%s%N; }
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
: >internal/launcher-selftest-probe
scripts/app build
if [ "$(built)" = "$first" ]; then
  echo "launcher-selftest: scripts/app did not rebuild after a file was added" >&2
  exit 1
fi
echo "launcher-selftest: scripts/app skips an unchanged build (${took} ms) and rebuilds after a file is added"
