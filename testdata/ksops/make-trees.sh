#!/usr/bin/env bash
# Builds testdata/ksops/trees: KSOPS generators inside kustomize trees (a base under an
# overlay that sets namespace, prefix, suffix, labels, annotations and a patch; a Component;
# `behavior: replace` and `merge` against a base's Secrets; `needs-hash` at every level).
# Inputs are encrypted with sops to key.txt; the plaintext below is test data that only
# passes through pipes. want.yaml files are recorded by record.sh from real kustomize and
# real KSOPS. Every reference of their Deployments resolves (`secretgen check` finds nothing).
#
# Usage: testdata/ksops/make-trees.sh [CASE...]   (default: every case; a case named is
# written again, the others keep their ciphertext)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sops=${SOPS:-$root/.tools/bin/sops}
recipient=$(grep -o 'age1[0-9a-z]*' "$here/key.txt" | head -1)
trees=$here/trees

# enc FILE TYPE: stdin encrypted to FILE (sops type yaml, dotenv or binary).
enc() {
    mkdir -p "$(dirname "$1")"
    "$sops" --encrypt --age "$recipient" --unencrypted-regex '^(apiVersion|metadata|kind|type)$' \
        --input-type "$2" --output-type "$2" /dev/stdin >"$1" 2>/dev/null
}
# The KRM annotation KSOPS documents.
krm_annotation='  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ksops'

# A base with a KSOPS generator (a decrypted manifest and a hashed secretFrom Secret) and a
# Deployment that uses both by their base names; a Component with its own KSOPS generator;
# the overlay transforms all of them.
overlay() {
for mode in legacy krm; do
    d=$trees/overlay-$mode
    rm -rf "$d"
    extra=""
    [ "$mode" = krm ] && extra=$krm_annotation
    mkdir -p "$d/base" "$d/component"
    cat >"$d/kustomization.yaml" <<'YAML'
namespace: prod
namePrefix: p-
nameSuffix: -v1
labels:
- pairs:
    team: payments
commonAnnotations:
  owner: platform
resources:
- ./base
components:
- ./component
patches:
- target:
    kind: Secret
    name: db
  patch: |-
    apiVersion: v1
    kind: Secret
    metadata:
      name: db
      labels:
        patched: "yes"
YAML
    printf 'resources:\n- ./deployment.yaml\ngenerators:\n- ./ksops.yaml\n' >"$d/base/kustomization.yaml"
    cat >"$d/base/ksops.yaml" <<YAML
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: base-secrets
$extra
files:
- ./db.enc.yaml
secretFrom:
- metadata:
    name: api
    labels:
      from: ksops
    annotations:
      kustomize.config.k8s.io/needs-hash: "true"
  envs:
  - ./api.enc.env
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
            name: db
        env:
        - name: TOKEN
          valueFrom:
            secretKeyRef:
              name: api
              key: TOKEN
        - name: EXTRA
          valueFrom:
            secretKeyRef:
              name: extra
              key: extra.txt
      volumes:
      - name: db
        secret:
          secretName: db
YAML
    printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations:\n    note: from the manifest\ntype: Opaque\ndata:\n  user: YWRtaW4=\nstringData:\n  password: s3cr3t\n' |
        enc "$d/base/db.enc.yaml" yaml
    printf 'TOKEN=t0ken\nREGION=eu\n' | enc "$d/base/api.enc.env" dotenv
    printf 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ngenerators:\n- ./ksops.yaml\n' >"$d/component/kustomization.yaml"
    cat >"$d/component/ksops.yaml" <<YAML
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: component-secrets
$extra
secretFrom:
- metadata:
    name: extra
    annotations:
      kustomize.config.k8s.io/needs-hash: "true"
  files:
  - ./extra.txt
YAML
    printf 'from the component\n' | enc "$d/component/extra.txt" binary
done
}

# An overlay whose KSOPS generator replaces and merges into its base's Secrets (a plain one
# and a generated, hashed one), in a namespace, with a Deployment of the base using them.
behavior() {
d=$trees/behavior
rm -rf "$d"
mkdir -p "$d/base"
cat >"$d/base/kustomization.yaml" <<'YAML'
resources:
- ./secrets.yaml
- ./deployment.yaml
secretGenerator:
- name: gen
  literals:
  - from-base=1
YAML
cat >"$d/base/secrets.yaml" <<'YAML'
apiVersion: v1
kind: Secret
metadata:
  name: creds
  labels:
    level: base
data:
  old: b2xk
---
apiVersion: v1
kind: Secret
metadata:
  name: tls
type: kubernetes.io/tls
data:
  tls.crt: YmFzZQ==
  tls.key: YmFzZQ==
YAML
cat >"$d/base/deployment.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
        envFrom:
        - secretRef:
            name: creds
        - secretRef:
            name: gen
      volumes:
      - name: tls
        secret:
          secretName: tls
YAML
cat >"$d/kustomization.yaml" <<'YAML'
namespace: staging
namePrefix: s-
resources:
- ./base
generators:
- ./ksops.yaml
YAML
cat >"$d/ksops.yaml" <<'YAML'
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: overlay-secrets
files:
- ./tls.enc.yaml
secretFrom:
- metadata:
    name: creds
    labels:
      level: overlay
    annotations:
      kustomize.config.k8s.io/behavior: replace
  envs:
  - ./creds.enc.env
- metadata:
    name: gen
    annotations:
      kustomize.config.k8s.io/behavior: merge
      kustomize.config.k8s.io/needs-hash: "true"
  files:
  - from-overlay=./gen.txt
YAML
printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\n  annotations:\n    kustomize.config.k8s.io/behavior: merge\ntype: kubernetes.io/tls\ndata:\n  tls.key: b3ZlcmxheQ==\n' |
    enc "$d/tls.enc.yaml" yaml
printf 'USER=admin\nPASSWORD=hunter2\n' | enc "$d/creds.enc.env" dotenv
printf 'two\n' | enc "$d/gen.txt" binary
}

# `needs-hash` as kustomize reads it (Go's ParseBool: "1" and "False" too) on a base's KSOPS
# Secrets, one of them a decrypted manifest with its own namespace; the overlay's
# secretGenerator merges into one of them (its `data`: kustomize v5.8 also moves the `stringData`
# of a Secret merged into to `data`, kubectl's v5.5 does not).
needs_hash() {
d=$trees/needs-hash
rm -rf "$d"
mkdir -p "$d/base"
printf 'resources:\n- ./deployment.yaml\ngenerators:\n- ./ksops.yaml\n' >"$d/base/kustomization.yaml"
cat >"$d/base/ksops.yaml" <<'YAML'
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: hashes
files:
- ./ns.enc.yaml
secretFrom:
- metadata:
    name: one
    annotations:
      kustomize.config.k8s.io/needs-hash: "1"
  binaryFiles:
  - ./value.txt
- metadata:
    name: unhashed
    annotations:
      kustomize.config.k8s.io/needs-hash: "False"
  files:
  - ./value.txt
YAML
cat >"$d/base/deployment.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
        envFrom:
        - secretRef:
            name: one
        - secretRef:
            name: unhashed
YAML
printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: in-ns\n  namespace: elsewhere\n  annotations:\n    kustomize.config.k8s.io/needs-hash: "true"\ndata:\n  k: dg==\n' |
    enc "$d/base/ns.enc.yaml" yaml
printf 'v\n' | enc "$d/base/value.txt" binary
cat >"$d/kustomization.yaml" <<'YAML'
namePrefix: o-
resources:
- ./base
secretGenerator:
- name: one
  behavior: merge
  literals:
  - added=by-overlay
YAML
}

# KSOPS configs and kustomize's builtin SecretGenerator configs in one `generators` list run
# in the list's order: a builtin config merges into a KSOPS Secret made before it, and a
# KSOPS Secret replaces a builtin one made before it.
generators_order() {
d=$trees/generators-order
rm -rf "$d"
mkdir -p "$d"
cat >"$d/kustomization.yaml" <<'YAML'
namePrefix: g-
generators:
- ./first.yaml
- ./ksops.yaml
- ./last.yaml
YAML
cat >"$d/first.yaml" <<'YAML'
apiVersion: builtin
kind: SecretGenerator
metadata:
  name: made-first
literals:
- from-builtin=1
YAML
cat >"$d/ksops.yaml" <<'YAML'
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: middle
secretFrom:
- metadata:
    name: made-first
    annotations:
      kustomize.config.k8s.io/behavior: replace
  binaryFiles:
  - from-ksops=./value.txt
- metadata:
    name: made-by-ksops
  binaryFiles:
  - from-ksops=./value.txt
YAML
cat >"$d/last.yaml" <<'YAML'
apiVersion: builtin
kind: SecretGenerator
metadata:
  name: made-by-ksops
behavior: merge
literals:
- from-builtin=2
YAML
printf 'k\n' | enc "$d/value.txt" binary
}

all="overlay behavior needs_hash generators_order"
for c in ${*:-$all}; do
    case " $all " in
    *" ${c//-/_} "*) "${c//-/_}" ;;
    *) echo "unknown case $c (cases: $all)" >&2; exit 2 ;;
    esac
done
