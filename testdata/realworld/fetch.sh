#!/usr/bin/env bash
# Downloads the public repositories of repos.tsv from the Go module proxy and extracts, for
# each, the pruned tree its builds need into $SECRETGEN_REALWORLD/trees/<name>/ (default
# <repo>/.tools/realworld, git-ignored). Idempotent: a tree already extracted from the pinned
# version with the pinned checksum is left alone, without touching the network.
#
#   ./fetch.sh            # every repository
#   ./fetch.sh NAME...    # only these
#
# Checks, per repository: the proxy's module checksum (h1:, itself verified by Go against
# sum.golang.org) equals the pinned `sum`, and the commit the proxy reports (Origin.Hash)
# equals the pinned `commit` (`-`: the proxy reports none for that version; the checksum is
# then the only pin). A module the proxy does not serve is reported with the proxy's own
# answer, and the script exits 1.
#
# Pruning: only the top-level directories named in `keep` are extracted, without Go sources
# (*.go); the module zip itself never holds vendor/ nor nested modules.
set -euo pipefail
export LC_ALL=C
HERE="$(cd "$(dirname "$0")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
DEST="${SECRETGEN_REALWORLD:-$REPO/.tools/realworld}"
mkdir -p "$DEST/trees" "$DEST/modcache"

selected() {
  local name="$1"; shift
  [ $# -eq 0 ] && return 0
  for f in "$@"; do [ "$name" = "$f" ] && return 0; done
  return 1
}

failed=()
present=0
fetched=0
while IFS=$'\t' read -r name module version commit sum licence source keep; do
  [[ "$name" == \#* || -z "$name" ]] && continue
  selected "$name" "$@" || continue
  tree="$DEST/trees/$name"
  stamp="$module@$version $sum $keep"
  if [ -f "$tree/.fetched" ] && [ "$(cat "$tree/.fetched")" = "$stamp" ]; then
    present=$((present + 1)); continue
  fi
  if ! command -v go >/dev/null; then
    echo "realworld: $name: go not found (the corpus comes from the Go module proxy)" >&2
    failed+=("$name"); continue
  fi
  echo "realworld: downloading $module@$version ($source)"
  json="$(cd "$DEST" && GOMODCACHE="$DEST/modcache" GOFLAGS=-modcacherw GOTOOLCHAIN=local \
    GO111MODULE=on go mod download -json "$module@$version" 2>&1)" || true
  if ! got="$(printf '%s' "$json" | python3 "$HERE/fetch_check.py" "$sum" "$commit")"; then
    echo "realworld: $name: $module@$version not fetched: $got" >&2
    failed+=("$name"); continue
  fi
  zip="${got%%$'\t'*}"
  dir="${got#*$'\t'}"
  rm -rf "$tree" "$tree.tmp"
  python3 - "$zip" "$module@$version/" "$keep" "$tree.tmp" <<'PY'
import os, sys, zipfile
zip_path, prefix, keep, out = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4]
n = 0
with zipfile.ZipFile(zip_path) as z:
    for info in z.infolist():
        name = info.filename
        if not name.startswith(prefix) or name.endswith("/") or name.endswith(".go"):
            continue
        rel = name[len(prefix):]
        if rel.split("/", 1)[0] not in keep:
            continue
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with z.open(info) as src, open(path, "wb") as dst:
            dst.write(src.read())
        n += 1
if n == 0:
    sys.exit(f"nothing under {keep} in {zip_path}")
PY
  printf '%s\n' "$stamp" > "$tree.tmp/.fetched"
  mv "$tree.tmp" "$tree"
  # The extracted module copy is not needed (the zip stays in the cache for a re-fetch).
  [ -n "$dir" ] && [ -d "$dir" ] && rm -rf "$dir"
  fetched=$((fetched + 1))
done < "$HERE/repos.tsv"

echo "realworld: $present present, $fetched fetched, ${#failed[@]} failed ($DEST/trees)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "realworld: not fetched: ${failed[*]}; their realworld:: trials fail" >&2
  exit 1
fi
