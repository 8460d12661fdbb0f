#!/usr/bin/env bash
# Shared by interop/*/build.sh: each harness is built once per machine into a cache folder keyed by the hash
# of its tracked inputs, and the clone gets an ignored pointer to it at .cache/harness/<name>.
#   source "$(dirname "$0")/../lib.sh"; harness_begin <name> [extra files or strings to hash...]
#   if harness_is_built; then harness_done; exit 0; fi
#   ... build into "$HARNESS_OUT" ...
#   harness_done
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MESHPILOT_CACHE="${MESHPILOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/meshpilot}"

harness_begin() {
  HARNESS_NAME="$1"
  shift
  local dir="$REPO_ROOT/interop/$HARNESS_NAME"
  local hash
  hash="$(
    {
      (cd "$dir" && find . -type f ! -path './target/*' ! -name '*.log' -print0 | sort -z | xargs -0 sha256sum)
      # lib.sh by content only: its path differs per clone, and the cache is shared by every clone.
      sha256sum < "$REPO_ROOT/interop/lib.sh"
      for extra in "$@"; do echo "$extra"; done
    } | sha256sum | cut -c1-16
  )"
  HARNESS_OUT="$MESHPILOT_CACHE/$HARNESS_NAME/$hash"
  HARNESS_LINK="$REPO_ROOT/.cache/harness/$HARNESS_NAME"
  export HARNESS_NAME HARNESS_OUT HARNESS_LINK
}

harness_is_built() { [ -f "$HARNESS_OUT/.built" ]; }

harness_done() {
  mkdir -p "$HARNESS_OUT" "$(dirname "$HARNESS_LINK")"
  touch "$HARNESS_OUT/.built"
  ln -sfn "$HARNESS_OUT" "$HARNESS_LINK"
  echo "harness $HARNESS_NAME: $HARNESS_OUT"
}
