#!/usr/bin/env bash
# Fails when requirements-dev.lock does not pin a tool of requirements-dev.txt
# at the version requirements-dev.txt asks for (run make lock).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
while read -r line; do
  line=${line%%#*}
  line=${line// /}
  [ -n "$line" ] || continue
  name=${line%%==*}
  name=${name%%\[*}
  version=${line##*==}
  if ! grep -qix "${name}==${version}" requirements-dev.lock; then
    echo "requirements-dev.lock does not pin ${name}==${version} (requirements-dev.txt); run make lock" >&2
    status=1
  fi
done < requirements-dev.txt
exit "$status"
