#!/usr/bin/env bash
# Records want.yaml for every KSOPS case (legacy/*, krm/*, ours/*, trees/*, pgp/*/*): the output of real
# kustomize (the pinned v5.8.2 in .tools/bin) running real KSOPS v4.5.1, both as the legacy
# exec plugin (viaduct.ai/v1/ksops/ksops under a plugin home) and as the KRM function
# (`ksops` on PATH). tests/cases/ksops.rs runs secretgen in KSOPS' place and compares byte for byte.
#
# KSOPS is not installed by tests/setup.sh (its module is not on the Go module proxy); build
# it from its v4.5.1 source yourself and pass the binary:
#
#     KSOPS_BIN=/path/to/ksops testdata/ksops/record.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ksops=${KSOPS_BIN:?set KSOPS_BIN to a KSOPS v4.5.1 binary}
kustomize=${KUSTOMIZE:-$root/.tools/bin/kustomize}
"$kustomize" version | grep -q 'v5.8.2' || { echo "kustomize v5.8.2 expected" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'GNUPGHOME="$tmp/gnupg" gpgconf --kill gpg-agent 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/plugin/viaduct.ai/v1/ksops" "$tmp/bin"
ln -s "$ksops" "$tmp/plugin/viaduct.ai/v1/ksops/ksops"
ln -s "$ksops" "$tmp/bin/ksops"
# pgp/*: KSOPS' own cases as they are in its repository, encrypted to its PGP test key.
mkdir -m 700 "$tmp/gnupg"
GNUPGHOME="$tmp/gnupg" gpg --batch --quiet --import "$here/pgp/key.asc"

for case in "$here"/legacy/*/ "$here"/krm/*/ "$here"/ours/*/ "$here"/trees/*/ \
    "$here"/pgp/legacy/*/ "$here"/pgp/krm/*/; do
    case=${case%/}
    env -i PATH="$tmp/bin:$root/.tools/bin:/usr/bin:/bin" HOME="$tmp" GNUPGHOME="$tmp/gnupg" \
        KUSTOMIZE_PLUGIN_HOME="$tmp/plugin" SOPS_AGE_KEY_FILE="$here/key.txt" \
        "$kustomize" build --enable-alpha-plugins --enable-exec "$case" >"$case/want.yaml"
    echo "recorded ${case#"$here"/}"
done
