#!/usr/bin/env bash
# Provenance of testdata/ksops/{legacy,krm}: KSOPS' own end-to-end cases (viaduct-ai/kustomize-sops
# v4.5.1, test/legacy/* and test/krm/*, Apache-2.0, see NOTICE), with every SOPS file decrypted
# with their PGP test key (test/key.asc) and encrypted again with sops to our age test key
# (key.txt), keeping their unencrypted_regex. Their want.yaml files are not kept: record.sh
# records ours from the real tools.
#
# Usage: testdata/ksops/import.sh KSOPS_SOURCE_DIR   (a checkout of the v4.5.1 tag)
set -euo pipefail
src=${1:?usage: import.sh KSOPS_SOURCE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sops=${SOPS:-$root/.tools/bin/sops}
recipient=$(grep -o 'age1[0-9a-z]*' "$here/key.txt" | head -1)
gnupg=$(mktemp -d)
trap 'rm -rf "$gnupg"' EXIT
export GNUPGHOME=$gnupg
gpg --batch --quiet --import "$src/test/key.asc"
for mode in legacy krm; do
    for case in "$src/test/$mode"/*/; do
        name=$(basename "$case")
        dst=$here/$mode/$name
        rm -rf "$dst"
        mkdir -p "$dst"
        (cd "$case" && find . -type f ! -name want.yaml) | while read -r f; do
            mkdir -p "$(dirname "$dst/$f")"
            if grep -q '^sops:\|^sops_version=' "$case/$f"; then
                ext=${f##*.}
                [ "$ext" = env ] && ext=dotenv
                # Plaintext only in a pipe, never on disk.
                "$sops" --decrypt "$case/$f" |
                    "$sops" --encrypt --age "$recipient" \
                        --unencrypted-regex '^(apiVersion|metadata|kind|type)$' \
                        --input-type "$ext" --output-type "$ext" /dev/stdin >"$dst/$f"
            else
                cp "$case/$f" "$dst/$f"
            fi
        done
    done
done
