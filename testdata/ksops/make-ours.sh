#!/usr/bin/env bash
# Builds testdata/ksops/ours: our own KSOPS cases (every secretFrom field, godotenv's edge
# cases, binary files, needs-hash, behavior, JSON and multi-document files), their inputs
# encrypted with sops to key.txt. The plaintext below is test data; it only passes through
# pipes. want.yaml files are recorded by record.sh from real kustomize and real KSOPS.
#
# Usage: testdata/ksops/make-ours.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sops=${SOPS:-$root/.tools/bin/sops}
recipient=$(grep -o 'age1[0-9a-z]*' "$here/key.txt" | head -1)
ours=$here/ours

# enc FILE TYPE: stdin encrypted to FILE (sops type yaml, json, dotenv or binary).
enc() {
    mkdir -p "$(dirname "$1")"
    "$sops" --encrypt --age "$recipient" --unencrypted-regex '^(apiVersion|metadata|kind|type)$' \
        --input-type "$2" --output-type "$2" /dev/stdin >"$1" 2>/dev/null
}

# case DIR MODE: writes kustomization.yaml (generators: [gen.yaml]) for a legacy or KRM case.
kust() {
    mkdir -p "$1"
    printf 'generators:\n  - ./gen.yaml\n' >"$1/kustomization.yaml"
}
# The KRM annotation KSOPS documents.
krm_annotation='  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ksops'

rm -rf "$ours"

for mode in legacy krm; do
    d=$ours/$mode-secretfrom-all
    kust "$d"
    extra=""
    [ "$mode" = krm ] && extra=$krm_annotation
    cat >"$d/gen.yaml" <<YAML
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: all-fields
$extra
secretFrom:
- metadata:
    name: app
    namespace: prod
    labels:
      team: payments
      tier: "1"
    annotations:
      note: "kept as is"
    uid: dropped-by-ksops
  type: Opaque
  files:
  - ./secrets/config.yaml
  - renamed.txt=./secrets/password.txt
  - ./secrets/empty.txt
  binaryFiles:
  - ./secrets/blob.bin
  - key.der=./secrets/blob.bin
  envs:
  - ./secrets/app.env
- metadata:
    name: second
  type: kubernetes.io/basic-auth
  files:
  - username=./secrets/username.txt
  - password=./secrets/password.txt
YAML
    # A .yaml name makes sops (and KSOPS) read the file as YAML: decrypted, re-emitted.
    printf 'db:\n  host: db.internal\n  port: 5432\nflag: yes\nlist:\n- a\n- "b c"\n' | enc "$d/secrets/config.yaml" yaml
    printf 'S3cr3t: with "quotes" & <tags>\n' | enc "$d/secrets/password.txt" binary
    printf '' | enc "$d/secrets/empty.txt" binary
    printf '\x00\x01\x02\xff\xfe binary \x80\n' | enc "$d/secrets/blob.bin" binary
    printf 'admin\n' | enc "$d/secrets/username.txt" binary
    printf 'LOG_LEVEL=debug\nPORT=8080\nENABLED=true\n' | enc "$d/secrets/app.env" dotenv
done

# godotenv's rules, in a file sops reads as binary (so every byte reaches godotenv as written).
for mode in legacy krm; do
    d=$ours/$mode-dotenv-edges
    kust "$d"
    extra=""
    [ "$mode" = krm ] && extra=$krm_annotation
    cat >"$d/gen.yaml" <<YAML
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: dotenv-edges
$extra
secretFrom:
- metadata:
    name: dotenv
  envs:
  - ./edge.env.enc
YAML
    {
        cat <<'ENV'

# a comment line
export EXPORTED=exported value
PLAIN=plain value   # trailing comment
HASH_IN_VALUE=abc#def
TWO_COMMENTS=a #b #c
COLON: yaml style
SPACED = spaced value
SINGLE='single $PLAIN \n kept'
DOUBLE="double \"quoted\" $PLAIN \n escaped"
EXPANDED=${PLAIN}-$PLAIN-\$PLAIN-$missing
MULTI="first line
second line
third line"
MULTI_SINGLE='one
two'
EMPTY=
EMPTY_QUOTED=""
TRUE=true
NUMBER=0123
DUP=first
DUP=second
	TABBED=tab before key
UNICODE=ünïcödé ✓
dotted.key=dots allowed
AFTER_QUOTE="v" # comment after quote
ENV
        printf 'CRLF=windows line\r\nLAST=no newline at the end'
    } | enc "$d/edge.env.enc" binary
done

# Binary data, needs-hash and behavior.
for mode in legacy krm; do
    d=$ours/$mode-hash-and-behavior
    mkdir -p "$d/base"
    printf 'resources:\n  - ./base\ngenerators:\n  - ./gen.yaml\n' >"$d/kustomization.yaml"
    printf 'resources:\n  - ./secret.yaml\n  - ./deployment.yaml\n' >"$d/base/kustomization.yaml"
    cat >"$d/base/secret.yaml" <<'YAML'
apiVersion: v1
kind: Secret
metadata:
  name: merged
data:
  from-base: YmFzZQ==
---
apiVersion: v1
kind: Secret
metadata:
  name: replaced
stringData:
  old: value
YAML
    cat >"$d/base/deployment.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx
        envFrom:
        - secretRef:
            name: hashed
        - secretRef:
            name: merged
      volumes:
      - name: tls
        secret:
          secretName: hashed-file
YAML
    extra=""
    [ "$mode" = krm ] && extra=$krm_annotation
    cat >"$d/gen.yaml" <<YAML
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: hash-and-behavior
$extra
files:
- ./hashed-file.enc.yaml
secretFrom:
- metadata:
    name: hashed
    annotations:
      kustomize.config.k8s.io/needs-hash: "true"
  envs:
  - ./app.enc.env
  binaryFiles:
  - ./blob.enc.bin
- metadata:
    name: merged
    annotations:
      kustomize.config.k8s.io/behavior: merge
  files:
  - added.txt=./added.enc.txt
- metadata:
    name: replaced
    annotations:
      kustomize.config.k8s.io/behavior: replace
  type: Opaque
  envs:
  - ./app.enc.env
YAML
    printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: hashed-file\n  annotations:\n    kustomize.config.k8s.io/needs-hash: "true"\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: not-a-cert\n  tls.key: not-a-key\n' |
        enc "$d/hashed-file.enc.yaml" yaml
    printf 'USER=admin\nPASSWORD=hunter2\n' | enc "$d/app.enc.env" dotenv
    printf '\x89PNG\r\n\x1a\n\x00\x00' | enc "$d/blob.enc.bin" binary
    printf 'added by the overlay\n' | enc "$d/added.enc.txt" binary
done

# files: a JSON file, a multi-document YAML file, and kinds other than Secret.
for mode in legacy krm; do
    d=$ours/$mode-files-kinds
    kust "$d"
    extra=""
    [ "$mode" = krm ] && extra=$krm_annotation
    cat >"$d/gen.yaml" <<YAML
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: files-kinds
$extra
files:
- ./secret.enc.json
- ./many.enc.yaml
YAML
    printf '{\n  "apiVersion": "v1",\n  "kind": "Secret",\n  "metadata": {"name": "from-json"},\n  "stringData": {"token": "abc", "multi": "a\\nb\\n"}\n}\n' |
        enc "$d/secret.enc.json" json
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings # a comment\ndata:\n  mode: "on"\n  script: |\n    echo hi\n    exit 0\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: second-doc\ntype: Opaque\ndata:\n  k: dmFsdWU=\n' |
        enc "$d/many.enc.yaml" yaml
done
