#!/usr/bin/env bash
# Fails when git tracks a built executable (ELF, Mach-O or PE) anywhere, or a
# file over 1 MB outside a testdata/ folder: build outputs belong in build/
# (ignored), and the repository stays small enough to clone and review.
# With arguments, checks those files instead (make gates-selftest shows it
# refusing a built binary).
set -euo pipefail
cd "$(dirname "$0")/.."
limit=$((1024 * 1024))
status=0
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue # deleted in the work tree, not yet in the index
  magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
  case "$magic" in
    7f454c46 | feedface | feedfacf | cefaedfe | cffaedfe | cafebabe | 4d5a*)
      echo "tracked executable: $f (magic $magic); build it into build/ and git rm --cached it" >&2
      status=1
      ;;
  esac
  case "/$f" in
    */testdata/*) ;;
    *)
      size=$(stat -c %s "$f")
      if [ "$size" -gt "$limit" ]; then
        echo "tracked file over 1 MB: $f ($size bytes); keep large files out of the repository or under testdata/" >&2
        status=1
      fi
      ;;
  esac
done < <(if [ "$#" -gt 0 ]; then printf '%s\0' "$@"; else git ls-files -z; fi)
exit "$status"
