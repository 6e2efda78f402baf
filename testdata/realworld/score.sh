#!/usr/bin/env bash
# Runs `secretgen render` over every build of builds.tsv and prints how many match the
# Secrets kustomize v5.8.2 printed (expected/), byte for byte, then the builds that do not,
# marked `listed` when known-differences.tsv names them.
#
#   ./score.sh                       # secretgen from $SECRETGEN or target/debug/secretgen
#   ./score.sh -v                    # also the first lines of each difference
#   ./score.sh --write               # also writes the score line of README.md
#   SECRETGEN=... SECRETGEN_REALWORLD=... ./score.sh
set -u
export LC_ALL=C
HERE="$(cd "$(dirname "$0")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
SECRETGEN="${SECRETGEN:-${CARGO_TARGET_DIR:-$REPO/target}/debug/secretgen}"
TREES="${SECRETGEN_REALWORLD:-$REPO/.tools/realworld}/trees"
verbose=0
write=0
[ "${1:-}" = "-v" ] && verbose=1
[ "${1:-}" = "--write" ] && write=1
if [ ! -x "$SECRETGEN" ]; then
  echo "score: $SECRETGEN not found (cargo build, or set SECRETGEN)" >&2
  exit 2
fi
cd "$HERE"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
total=0
same=0
while IFS=$'\t' read -r repo dir flags; do
  [[ "$repo" == \#* || -z "$repo" ]] && continue
  total=$((total + 1))
  if [ ! -f "$TREES/$repo/.fetched" ]; then
    echo "missing $repo/$dir (run bash tests/setup.sh)"; continue
  fi
  args=()
  [ "$flags" != "-" ] && read -r -a args <<< "$flags"
  expected="expected/$repo/${dir//\//__}.yaml"
  HOME=/nonexistent XDG_CONFIG_HOME=/nonexistent "$SECRETGEN" render "${args[@]}" \
    "$TREES/$repo/$dir" > "$tmp/out" 2> "$tmp/err"
  if cmp -s "$tmp/out" "$expected"; then
    same=$((same + 1)); continue
  fi
  listed=""
  grep -q "^$repo/$dir	" known-differences.tsv 2>/dev/null && listed=" (listed)"
  echo "differs $repo/$dir$listed"
  if [ $verbose = 1 ]; then
    head -n 3 "$tmp/err" | sed 's/^/    stderr: /'
    diff "$expected" "$tmp/out" | head -n 8 | sed 's/^/    /'
  fi
done < builds.tsv
echo "$same of $total builds match"
if [ $write = 1 ]; then
  line="<!-- score: written by score.sh --write -->$same of $total builds match, $(date -u +%Y-%m-%d)"
  sed -i -E "s|^<!-- score: written by score.sh --write -->.*|$line|" README.md
fi
