#!/usr/bin/env bash
# Records the SOPS fixtures with the real sops (v3.13.x) and age-keygen: each plaintext in
# plain/ is encrypted (with the options its case names) into cases/, and what
# `sops --decrypt` prints for it is recorded beside it as `<file>.expected`.
# The test keys in keys/ are made once and kept (they protect nothing but these fixtures).
#
# Usage: testdata/sops/record.sh   (finds sops and age-keygen in .tools/bin or on PATH)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export PATH="$repo/.tools/bin:$PATH"
sops --version 2>/dev/null | grep -q '^sops 3\.13\.' || { echo "needs sops 3.13.x" >&2; exit 1; }

keys="$here/keys"
mkdir -p "$keys"
for k in age1 age2 age3; do
  [ -f "$keys/$k.txt" ] || age-keygen -o "$keys/$k.txt" 2>/dev/null
done
[ -f "$keys/ssh_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C sops-fixture -f "$keys/ssh_ed25519"
pub() { grep '^# public key:' "$keys/$1.txt" | awk '{print $4}'; }
R1="$(pub age1)" R2="$(pub age2)" R3="$(pub age3)"
SSH="$(cat "$keys/ssh_ed25519.pub")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# No .sops.yaml from above: sops searches the working directory and its parents.
cd "$work"
cat > shamir.sops.yaml <<EOF
creation_rules:
  - shamir_threshold: 2
    key_groups:
      - age: ['$R1']
      - age: ['$R2']
      - age: ['$R3']
EOF
: > empty.sops.yaml

out="$here/cases"
rm -rf "$out"
mkdir -p "$out"

# case NAME PLAINFILE [sops encrypt options...]: NAME keeps the plaintext's extension.
case_() {
  local name="$1" plain="$2"
  shift 2
  cp "$here/plain/$plain" "$work/$name"
  local config="$work/empty.sops.yaml"
  if [ "${1:-}" = --config ]; then config="$2"; shift 2; fi
  sops --config "$config" encrypt "$@" "$work/$name" > "$out/$name"
  SOPS_AGE_KEY_FILE="$keys/age1.txt" sops --config "$work/empty.sops.yaml" decrypt "$out/$name" > "$out/$name.expected"
}

case_ basic.yaml basic.yaml --age "$R1"
case_ nested.yaml nested.yaml --age "$R1"
case_ comments.yaml comments.yaml --age "$R1"
case_ shapes.yaml shapes.yaml --age "$R1"
case_ multidoc.yaml multidoc.yaml --age "$R1"
case_ secret.yaml secret.yaml --age "$R1" --encrypted-regex '^(data|stringData)$'
case_ secret-unencrypted-regex.yaml secret.yaml --age "$R1" --unencrypted-regex '^(apiVersion|kind|metadata|type)$'
case_ suffix.yaml suffix.yaml --age "$R1" --encrypted-suffix _secret
case_ suffix-unencrypted.yaml suffix.yaml --age "$R1" --unencrypted-suffix _secret
# The comment regexes have no flag: they come from a creation rule.
printf "creation_rules:\n  - encrypted_comment_regex: 'sops:enc'\n" > enc-comment.sops.yaml
printf "creation_rules:\n  - unencrypted_comment_regex: 'sops:enc'\n" > unenc-comment.sops.yaml
printf "creation_rules:\n  - mac_only_encrypted: true\n" > mac-only.sops.yaml
case_ commentregex.yaml commentregex.yaml --config "$work/enc-comment.sops.yaml" --age "$R1"
case_ commentregex-unencrypted.yaml commentregex.yaml --config "$work/unenc-comment.sops.yaml" --age "$R1"
case_ maconly.yaml secret.yaml --config "$work/mac-only.sops.yaml" --age "$R1" --encrypted-regex '^(data|stringData)$'
case_ several.yaml secret.yaml --age "$R2,$R1,$R3"
case_ ssh.yaml secret.yaml --age "$SSH,$R1"
case_ basic.json basic.json --age "$R1"
case_ maconly.json basic.json --config "$work/mac-only.sops.yaml" --age "$R1" --unencrypted-regex '^(name|num)$'
case_ app.env app.env --age "$R1"
case_ app.ini app.ini --age "$R1"
case_ blob.bin blob.bin --age "$R1"
case_ cert.pem cert.pem --age "$R1"
case_ blob.json blob.bin --age "$R1" --input-type binary --output-type json

# Shamir 2-of-3: three key groups, one age key each.
cp "$here/plain/secret.yaml" "$work/shamir.yaml"
sops --config "$work/shamir.sops.yaml" encrypt "$work/shamir.yaml" > "$out/shamir.yaml"
SOPS_AGE_KEY_FILE="$keys/age1.txt" sops --config "$work/empty.sops.yaml" decrypt "$out/shamir.yaml" > /dev/null 2>&1 \
  && { echo "shamir.yaml opened with one key of three" >&2; exit 1; }
cat "$keys/age1.txt" "$keys/age3.txt" > "$work/two.txt"
SOPS_AGE_KEY_FILE="$work/two.txt" sops --config "$work/empty.sops.yaml" decrypt "$out/shamir.yaml" > "$out/shamir.yaml.expected"

# The SSH case also opens with the SSH key alone.
SOPS_AGE_SSH_PRIVATE_KEY_FILE="$keys/ssh_ed25519" SOPS_AGE_KEY_FILE=/nonexistent \
  sops --config "$work/empty.sops.yaml" decrypt "$out/ssh.yaml" | cmp - "$out/ssh.yaml.expected"

sops --version 2>/dev/null | head -1 > "$out/SOPS-VERSION"
echo "recorded $(ls "$out" | grep -c '\.expected$') cases in $out"
