#!/usr/bin/env bash
# Writing SOPS files: `encrypt` and `edit` of N files (a small Secret manifest each, age
# recipient), secretgen against the real sops 3.13.3 on the same files.
#
#   benches/sops_write.sh [--files N] [--rounds R] [--bin SECRETGEN] [--json FILE]
#
# encrypt: `TOOL encrypt --age R FILE > OUT` for each plaintext file. edit: `TOOL edit FILE`
# on copies of the same N files sops encrypted, with a non-interactive EDITOR script that
# changes one value (sed), under one pseudo-terminal (`script`) per loop for both tools
# (`secretgen sops edit` wants a terminal; sops does not mind one). Each round times one loop
# of each tool, alternating which goes first; the copies are reset outside the timing. Checks
# that sops decrypts every tenth file secretgen wrote to what it decrypts its own to (the
# tests check the rest of the format), then prints
# the medians and the ratios (secretgen / sops: below 1 is faster). Process start is
# included: one process per file, as a user or a script runs them. Needs sops and
# age-keygen in .tools/bin (tests/setup.sh) and `script` (util-linux). --json FILE: also write
# the medians and every sample there (benches/compare.sh --only sops-write reads it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
files=1000
rounds=3
bin=
json=
while [ $# -gt 0 ]; do
  case "$1" in
    --files) files=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
tools=$root/.tools/bin
for t in sops age-keygen; do
  [ -x "$tools/$t" ] || { echo "missing: $tools/$t (run tests/setup.sh)" >&2; exit 2; }
done
command -v script >/dev/null || { echo "missing: script (util-linux)" >&2; exit 2; }
if [ -z "$bin" ]; then
  cargo build --release --locked --quiet --bin secretgen
  bin=$root/target/release/secretgen
fi
sops=$tools/sops
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$tools/age-keygen" -o "$work/key.txt" 2>/dev/null
recipient=$(grep '^# public key:' "$work/key.txt" | awk '{print $4}')
export SOPS_AGE_KEY_FILE=$work/key.txt
unset SOPS_AGE_KEY SOPS_AGE_RECIPIENTS SOPS_EDITOR
# No .sops.yaml anywhere above the files: both tools take --age.
mkdir -p "$work/plain" "$work/base"
python3 - "$work/plain" "$files" <<'PY'
import os, random, sys
out, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
for i in range(n):
    pw = "".join(rng.choice(alphabet) for _ in range(32))
    tok = "".join(rng.choice(alphabet) for _ in range(64))
    with open(os.path.join(out, f"s{i}.yaml"), "w") as f:
        f.write(f"apiVersion: v1\nkind: Secret\nmetadata:\n    name: s{i}\n"
                f"stringData:\n    user: admin\n    password: {pw}\n    token: {tok}\n")
PY
printf '%s\n' "$work"/plain/*.yaml | xargs -P "$(nproc)" -I{} sh -c \
  '"$0" encrypt --age "$1" "$2" > "$3/$(basename "$2")"' "$sops" "$recipient" {} "$work/base"
cat > "$work/editor.sh" <<'SH'
#!/bin/sh
sed -i 's/^    user: admin$/    user: root/' "$1"
SH
chmod +x "$work/editor.sh"
export EDITOR=$work/editor.sh

# One loop of `encrypt` or `edit` with one tool over every file, timed in nanoseconds.
cat > "$work/loop.sh" <<'SH'
#!/bin/sh
# loop.sh OP TOOL... : OP is encrypt (into $OUT) or edit (in $DIR)
op=$1; shift
for f in "$SRC"/*.yaml; do
  n=$(basename "$f")
  if [ "$op" = encrypt ]; then
    "$@" encrypt --age "$RECIPIENT" "$f" > "$OUT/$n" || exit 1
  else
    "$@" edit "$DIR/$n" || exit 1
  fi
done
SH
chmod +x "$work/loop.sh"
export RECIPIENT=$recipient

run() { # run OP NAME TOOL... ; prints the loop's wall time in ns
  local op=$1 name=$2; shift 2
  local s e
  if [ "$op" = encrypt ]; then
    rm -rf "$work/out-$name"; mkdir -p "$work/out-$name"
    s=$(date +%s%N)
    SRC=$work/plain OUT=$work/out-$name "$work/loop.sh" encrypt "$@"
    e=$(date +%s%N)
  else
    rm -rf "$work/edit-$name"; cp -r "$work/base" "$work/edit-$name"
    local cmd="SRC='$work/base' DIR='$work/edit-$name' '$work/loop.sh' edit"
    for a in "$@"; do cmd="$cmd '$a'"; done
    s=$(date +%s%N)
    script -qec "$cmd" /dev/null < /dev/null > "$work/script-$name.log" || {
      echo "$name edit failed:" >&2; tail -5 "$work/script-$name.log" >&2; exit 1; }
    e=$(date +%s%N)
  fi
  echo $((e - s))
}

declare -A times
for op in encrypt edit; do
  for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then order="secretgen sops"; else order="sops secretgen"; fi
    for who in $order; do
      if [ "$who" = secretgen ]; then t=$(run "$op" secretgen "$bin" sops); else t=$(run "$op" sops "$sops"); fi
      times[$op-$who]="${times[$op-$who]:-} $t"
    done
  done
  # Every tenth file secretgen wrote decrypts, by sops, to what sops' own decrypts to.
  for ((i = 0; i < files; i += 10)); do
    n=s$i.yaml
    if [ "$op" = encrypt ]; then a=$work/out-secretgen/$n; b=$work/out-sops/$n; else a=$work/edit-secretgen/$n; b=$work/edit-sops/$n; fi
    cmp -s <("$sops" decrypt "$a") <("$sops" decrypt "$b") || { echo "$op: $n decrypts differently" >&2; exit 1; }
  done
done

python3 - "$files" "$rounds" "$json" \
  "${times[encrypt-secretgen]}" "${times[encrypt-sops]}" \
  "${times[edit-secretgen]}" "${times[edit-sops]}" <<'PY'
import json, statistics, sys
n, rounds, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def med(s): return statistics.median(int(x) for x in s.split()) / 1e9
print(f"{n} files, {rounds} alternating rounds, medians (process start included)")
print("| operation | secretgen | sops 3.13.3 | ratio (secretgen / sops) |")
print("|---|---|---|---|")
res = {"files": n, "rounds": rounds}
for op, a, b in (("encrypt", sys.argv[4], sys.argv[5]), ("edit", sys.argv[6], sys.argv[7])):
    x, y = med(a), med(b)
    res[op] = {"secretgen": x, "sops": y, "samples": {"secretgen": [int(v) / 1e9 for v in a.split()],
                                                      "sops": [int(v) / 1e9 for v in b.split()]}}
    print(f"| {op} | {x:.2f} s ({x / n * 1000:.2f} ms/file) | {y:.2f} s ({y / n * 1000:.2f} ms/file) | {x / y:.3f} |")
if out:
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
PY
