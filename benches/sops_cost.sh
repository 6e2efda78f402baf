#!/usr/bin/env bash
# Cost per SOPS input, measured like the age row of BENCHMARKS.md: `secretgen render` of
# N generators × one 1 KiB file, plaintext, then the same files SOPS-encrypted (binary
# format, to an age key) by the real sops; (encrypted − plain) / N.
#
# Usage: benches/sops_cost.sh [N]   (default 1000; needs a release build or SECRETGEN_BIN, sops, age-keygen;
# uses hyperfine when installed)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$repo/.tools/bin:$PATH"
n="${1:-1000}"
bin="${SECRETGEN_BIN:-$repo/target/release/secretgen}"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
age-keygen -o "$work/key.txt" 2>/dev/null
recipient="$(grep '^# public key:' "$work/key.txt" | awk '{print $4}')"
: > "$work/empty.sops.yaml"
for side in plain sops; do mkdir -p "$work/$side"; done
python3 - "$work" "$n" <<'PY'
import os, random, sys
work, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
with open(os.path.join(work, "plain", "secretgen.yaml"), "w") as m:
    for i in range(n):
        value = "".join(rng.choice(alphabet) for _ in range(1024))
        with open(os.path.join(work, "plain", f"v{i}.txt"), "w") as f:
            f.write(value)
        m.write(f"---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s{i}\nfiles:\n  - v{i}.txt\n")
PY
cp "$work/plain/secretgen.yaml" "$work/sops/"
for f in "$work"/plain/v*.txt; do
  echo "$f"
done | xargs -P 4 -I{} sh -c 'sops --config "$0/empty.sops.yaml" encrypt --age "$1" "{}" > "$0/sops/$(basename "{}")"' "$work" "$recipient"
export SECRETGEN_AGE_IDENTITY_FILE="$work/key.txt"
"$bin" render "$work/plain" > "$work/a.yaml"
"$bin" render "$work/sops" > "$work/b.yaml"
cmp "$work/a.yaml" "$work/b.yaml" || { echo "the SOPS render differs from the plaintext one" >&2; exit 1; }
if command -v hyperfine > /dev/null; then
  hyperfine -N --warmup 3 --runs 20 --export-json "$work/h.json" \
    "$bin render $work/plain" "$bin render $work/sops" > /dev/null
  python3 - "$work/h.json" "$n" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
n = int(sys.argv[2])
a, b = (x["median"] for x in r)
print(f"plain {a*1000:.1f} ms, sops {b*1000:.1f} ms (medians): {(b-a)/n*1000:.3f} ms per SOPS file")
PY
else
  t() { local best=999999999; for _ in 1 2 3 4 5 6 7; do
      s=$(date +%s%N); "$bin" render "$1" > /dev/null; e=$(date +%s%N)
      [ $((e-s)) -lt "$best" ] && best=$((e-s)); done; echo "$best"; }
  a=$(t "$work/plain"); b=$(t "$work/sops")
  python3 -c "a,b,n=$a,$b,$n; print(f'plain {a/1e6:.1f} ms, sops {b/1e6:.1f} ms (best of 7): {(b-a)/n/1e6:.3f} ms per SOPS file')"
fi
