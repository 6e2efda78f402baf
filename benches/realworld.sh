#!/usr/bin/env bash
# `secretgen render` against `kustomize build` (v5.8.2) on every build of the real-world corpus
# (testdata/realworld/builds.tsv; trees fetched by `bash tests/setup.sh`), timed in
# alternating runs; prints the median ratio per build and names the slowest ratio.
#
#   benches/realworld.sh                      # builds release secretgen, 5 runs per build
#   benches/realworld.sh --runs 9 --only capz # options of benches/realworld.py
#   SECRETGEN=path/to/secretgen benches/realworld.sh   # a given binary, no build
set -eu
HERE="$(cd "$(dirname "$0")" && pwd -P)"
REPO="$(cd "$HERE/.." && pwd -P)"
if [ -z "${SECRETGEN:-}" ]; then
  (cd "$REPO" && cargo build --release --quiet --bin secretgen)
  SECRETGEN="${CARGO_TARGET_DIR:-$REPO/target}/release/secretgen"
fi
exec python3 "$HERE/realworld.py" --secretgen "$SECRETGEN" "$@"
