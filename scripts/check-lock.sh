#!/usr/bin/env bash
# Fails when requirements-dev.lock does not pin a tool of requirements-dev.txt
# at the version requirements-dev.txt asks for (run make lock). With two
# arguments, checks those files instead (make gates-selftest shows it
# refusing a drifted lock).
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-requirements-dev.txt}
lock=${2:-requirements-dev.lock}
status=0
while read -r line; do
  line=${line%%#*}
  line=${line// /}
  [ -n "$line" ] || continue
  name=${line%%==*}
  name=${name%%\[*}
  version=${line##*==}
  if ! grep -qix "${name}==${version}" "$lock"; then
    echo "$lock does not pin ${name}==${version} ($requirements); run make lock" >&2
    status=1
  fi
done < "$requirements"
exit "$status"
