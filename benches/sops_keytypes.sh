#!/usr/bin/env bash
# Cost per SOPS file by key type, and a tree of files under one AWS KMS key.
#
#   benches/sops_keytypes.sh [--files N] [--runs R] [--bin SECRETGEN] [--work DIR]
#
# 1. Per-file decryption cost: N one-file generators (1 KiB text files, default N = 50),
#    rendered plaintext, then with the same files encrypted by the real sops to a PGP key
#    (unwrapped by the system's gpg: one gpg process per file) and to an AWS KMS key (the
#    local-kms emulator, one Decrypt round trip per file): (encrypted - plain) / N, best of
#    R runs. Beside it, `sops --decrypt` of the same files one by one (its process start
#    included, as a user running sops per file pays it). Every render is checked to print the
#    plaintext render's bytes, and the emulator's log to count one Decrypt per file.
# 2. A tree of 25, 50, 100 and 200 files under one KMS key, as one-file generators and as
#    one generator listing every file: render time on all cores and on one
#    (RAYON_NUM_THREADS=1), and the Decrypt calls each render made.
# 3. One generator listing the N PGP files, on all cores and on one.
#
# Needs sops and local-kms in .tools/bin (tests/setup.sh), gpg, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
n=50
runs=5
bin=
work=
while [ $# -gt 0 ]; do
  case "$1" in
    --files) n=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
tools=$root/.tools/bin
for t in sops local-kms; do
  [ -x "$tools/$t" ] || { echo "missing: $tools/$t (run tests/setup.sh)" >&2; exit 2; }
done
command -v gpg >/dev/null || { echo "missing: gpg" >&2; exit 2; }
if [ -z "$bin" ]; then
  cargo build --release --locked --quiet
  bin=${CARGO_TARGET_DIR:-$root/target}/release/secretgen
fi
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'gpgconf --kill gpg-agent 2>/dev/null || true; kill "$kms_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
else
  rm -rf "$work"; mkdir -p "$work"
  trap 'gpgconf --kill gpg-agent 2>/dev/null || true; kill "$kms_pid" 2>/dev/null || true' EXIT
fi
kms_pid=

# The KMS emulator, with one symmetric key, on a free loopback port.
key_id=bc436485-5092-42b8-92a3-0aa8b93536dc
arn=arn:aws:kms:eu-west-2:111122223333:key/$key_id
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/seed.yaml" <<EOF
Keys:
  Symmetric:
    Aes:
      - Metadata:
          KeyId: $key_id
        BackingKeys:
          - 5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9
EOF
PORT=$port KMS_REGION=eu-west-2 KMS_ACCOUNT_ID=111122223333 KMS_SEED_PATH=$work/seed.yaml \
  KMS_DATA_PATH=$work/kms-data "$tools/local-kms" > /dev/null 2> "$work/kms.log" &
kms_pid=$!
for _ in $(seq 200); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
export AWS_ENDPOINT_URL_KMS=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=AKIDLOCALKMS
export AWS_SECRET_ACCESS_KEY=local-kms-secret AWS_EC2_METADATA_DISABLED=true
export SOPS_DISABLE_VERSION_CHECK=1
unset AWS_PROFILE SOPS_KEYSERVICE

# A GnuPG home with one test key without a passphrase.
export GNUPGHOME=$work/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --passphrase '' --quick-gen-key 'secretgen bench <bench@example.invalid>' default default never 2>/dev/null
fpr=$(gpg --batch --with-colons --list-secret-keys | awk -F: '/^fpr:/ {print $10; exit}')

# make DIR COUNT LAYOUT: COUNT 1 KiB files in DIR/plain, with a manifest of one-file
# generators (LAYOUT=each) or one generator listing them all (LAYOUT=one).
make_plain() {
  python3 - "$1" "$2" "$3" <<'PY'
import os, random, sys
d, n, layout = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(d, exist_ok=True)
rng = random.Random(11)
abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
for i in range(n):
    with open(os.path.join(d, f"v{i}.txt"), "w") as f:
        f.write("".join(rng.choice(abc) for _ in range(1024)))
with open(os.path.join(d, "secretgen.yaml"), "w") as m:
    head = "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: {}\nfiles:\n"
    if layout == "each":
        for i in range(n):
            m.write("---\n" + head.format(f"s{i}") + f"  - v{i}.txt\n")
    else:
        m.write(head.format("all") + "".join(f"  - v{i}.txt\n" for i in range(n)))
PY
}
# encrypt FROM TO sops-args...: every v*.txt of FROM encrypted into TO (in parallel).
encrypt() {
  local from=$1 to=$2; shift 2
  mkdir -p "$to"
  cp "$from/secretgen.yaml" "$to/"
  : > "$work/empty.sops.yaml"
  # shellcheck disable=SC2016
  ls "$from" | grep '^v.*\.txt$' | xargs -P 8 -I{} sh -c \
    'sops=$1 work=$2 from=$3 to=$4; shift 4; "$sops" --config "$work/empty.sops.yaml" encrypt "$@" "$from/{}" > "$to/{}"' \
    sh "$tools/sops" "$work" "$from" "$to" "$@"
}
ns() { date +%s%N; }
# best DIR [env...]: the best of $runs renders of DIR, in ns.
best() {
  local dir=$1; shift
  local b=999999999999 s e
  for _ in $(seq "$runs"); do
    s=$(ns); env "$@" "$bin" render "$dir" > /dev/null; e=$(ns)
    [ $((e - s)) -lt "$b" ] && b=$((e - s))
  done
  echo "$b"
}
calls() { grep -c 'Decryption called' "$work/kms.log" || true; }
ms() { python3 -c "print(f'{$1/1e6:.1f}')"; }

echo "# Per-file decryption cost ($n one-file generators, 1 KiB files, best of $runs; $(nproc) cores)"
make_plain "$work/cost/plain" "$n" each
encrypt "$work/cost/plain" "$work/cost/pgp" --pgp "$fpr"
encrypt "$work/cost/plain" "$work/cost/kms" --kms "$arn"
"$bin" render "$work/cost/plain" > "$work/plain.yaml"
for k in pgp kms; do
  before=$(calls)
  "$bin" render "$work/cost/$k" > "$work/$k.yaml"
  cmp -s "$work/plain.yaml" "$work/$k.yaml" || { echo "the $k render differs from the plaintext one" >&2; exit 1; }
  [ "$k" = kms ] && echo "KMS Decrypt calls for one render of $n files: $(( $(calls) - before ))"
done
plain=$(best "$work/cost/plain")
printf '| key type | secretgen render, per file (ms) | sops --decrypt, per file (ms) |\n|---|---|---|\n'
for k in pgp kms; do
  enc=$(best "$work/cost/$k")
  s=$(ns)
  for f in "$work/cost/$k"/v*.txt; do "$tools/sops" --decrypt "$f" > /dev/null; done
  e=$(ns)
  label=$([ "$k" = pgp ] && echo "PGP (gpg $(gpg --version | head -1 | awk '{print $3}'))" || echo "AWS KMS (local-kms)")
  echo "| $label | $(python3 -c "print(f'{($enc-$plain)/$n/1e6:.2f}')") | $(python3 -c "print(f'{($e-$s)/$n/1e6:.2f}')") |"
done
echo "(plain render of $n generators: $(ms "$plain") ms)"

echo
echo "# A tree under one KMS key: time against files (best of $runs)"
printf '| files | layout | all cores (ms) | one thread (ms) | KMS Decrypt calls per render |\n|---|---|---|---|---|\n'
for count in 25 50 100 200; do
  for layout in each one; do
    d=$work/tree-$count-$layout
    make_plain "$d/plain" "$count" "$layout"
    encrypt "$d/plain" "$d/kms" --kms "$arn"
    "$bin" render "$d/plain" > "$work/p.yaml"
    before=$(calls)
    "$bin" render "$d/kms" > "$work/k.yaml"
    made=$(( $(calls) - before ))
    cmp -s "$work/p.yaml" "$work/k.yaml" || { echo "the tree render differs from the plaintext one" >&2; exit 1; }
    all=$(best "$d/kms")
    one=$(best "$d/kms" RAYON_NUM_THREADS=1)
    name=$([ "$layout" = each ] && echo "$count one-file generators" || echo "one generator, $count files")
    echo "| $count | $name | $(ms "$all") | $(ms "$one") | $made |"
  done
done

echo
echo "# One generator listing the $n PGP files: all cores against one thread (best of $runs)"
d=$work/pgp-one
make_plain "$d/plain" "$n" one
encrypt "$d/plain" "$d/pgp" --pgp "$fpr"
"$bin" render "$d/plain" > "$work/p.yaml"
"$bin" render "$d/pgp" > "$work/g.yaml"
cmp -s "$work/p.yaml" "$work/g.yaml" || { echo "the PGP render differs from the plaintext one" >&2; exit 1; }
all=$(best "$d/pgp")
one=$(best "$d/pgp" RAYON_NUM_THREADS=1)
echo "| files | all cores (ms) | one thread (ms) |"
echo "|---|---|---|"
echo "| $n | $(ms "$all") | $(ms "$one") |"
