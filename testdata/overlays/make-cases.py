#!/usr/bin/env python3
# Writes the input trees of the base/overlay/component cases (not their expected output:
# record.sh takes that from the real kustomize). Usage: ./make-cases.py DIR
import os, sys, textwrap
OUT = sys.argv[1]
cases = {}
def case(name, files, build=".", refuse=None):
    cases[name] = (files, build, refuse)
def d(s): return textwrap.dedent(s).lstrip("\n")

DEPLOY = d("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
      - name: api
        image: api:1
        envFrom:
        - secretRef:
            name: api-env
""")
BASE = {"base/kustomization.yaml": d("""
resources:
- deploy.yaml
secretGenerator:
- name: api-env
  literals:
  - A=1
  - B=2
"""), "base/deploy.yaml": DEPLOY}

def ov(k, extra=None, base=BASE):
    f = dict(base); f["overlay/kustomization.yaml"] = d(k)
    if extra: f.update(extra)
    return f

case("issue-example-prod", ov("""
resources:
- ../base
namespace: prod
namePrefix: prod-
labels:
- pairs:
    env: prod
secretGenerator:
- name: api-env
  behavior: merge
  literals:
  - B=3
  - C=4
"""), "overlay")
case("merge-literals", ov("""
resources: [../base]
secretGenerator:
- name: api-env
  behavior: merge
  literals: [B=20, Z=26]
"""), "overlay")
case("replace-literals", ov("""
resources: [../base]
secretGenerator:
- name: api-env
  behavior: replace
  literals: [ONLY=1]
"""), "overlay")
case("create-alongside", ov("""
resources: [../base]
secretGenerator:
- name: other
  literals: [X=1]
"""), "overlay")
case("merge-files", {
  "base/kustomization.yaml": d("""
  secretGenerator:
  - name: tls-files
    files: [a.txt, key=b.txt]
  """), "base/a.txt": "alpha\n", "base/b.txt": "beta\n",
  "overlay/kustomization.yaml": d("""
  resources: [../base]
  secretGenerator:
  - name: tls-files
    behavior: merge
    files: [a.txt, extra.txt]
  """), "overlay/a.txt": "overlay alpha\n", "overlay/extra.txt": "extra\n"}, "overlay")
case("merge-envs", {
  "base/kustomization.yaml": d("""
  secretGenerator:
  - name: env
    envs: [base.env]
  """), "base/base.env": "A=1\nB=2\n# comment\nC=3\n",
  "overlay/kustomization.yaml": d("""
  resources: [../base]
  secretGenerator:
  - name: env
    behavior: merge
    envs: [over.env]
    literals: [D=4]
  """), "overlay/over.env": "B=two\nE=5\n"}, "overlay")
case("merge-literal-overrides-file-key", {
  "base/kustomization.yaml": d("""
  secretGenerator:
  - name: mixed
    files: [password.txt]
    literals: [user=admin]
  """), "base/password.txt": "s3cret",
  "overlay/kustomization.yaml": d("""
  resources: [../base]
  secretGenerator:
  - name: mixed
    behavior: merge
    literals: [password.txt=override]
  """)}, "overlay")
case("error-merge-without-base", {"overlay/kustomization.yaml": d("""
secretGenerator:
- name: lonely
  behavior: merge
  literals: [A=1]
""")}, "overlay")
case("error-replace-without-base", ov("""
resources: [../base]
secretGenerator:
- name: not-in-base
  behavior: replace
  literals: [A=1]
"""), "overlay")
case("error-create-collision", ov("""
resources: [../base]
secretGenerator:
- name: api-env
  literals: [A=9]
"""), "overlay")
case("error-two-bases-same-secret", {
  "a/kustomization.yaml": "secretGenerator:\n- name: shared\n  literals: [A=1]\n",
  "b/kustomization.yaml": "secretGenerator:\n- name: shared\n  literals: [B=1]\n",
  "top/kustomization.yaml": "resources: [../a, ../b]\n"}, "top")
case("two-bases-distinct-namespaces", {
  "a/kustomization.yaml": "namespace: ns-a\nsecretGenerator:\n- name: shared\n  literals: [A=1]\n",
  "b/kustomization.yaml": "namespace: ns-b\nsecretGenerator:\n- name: shared\n  literals: [B=1]\n",
  "top/kustomization.yaml": "resources: [../a, ../b]\nnamePrefix: top-\n"}, "top")
case("error-namespace-id-conflict", {
  "a/kustomization.yaml": "namespace: ns-a\nsecretGenerator:\n- name: shared\n  literals: [A=1]\n",
  "b/kustomization.yaml": "namespace: ns-b\nsecretGenerator:\n- name: shared\n  literals: [B=1]\n",
  "top/kustomization.yaml": "resources: [../a, ../b]\nnamespace: one\n"}, "top")
case("nested-three-levels", {
  "base/kustomization.yaml": "namePrefix: b-\nsecretGenerator:\n- name: s\n  literals: [L=1]\n",
  "mid/kustomization.yaml": "resources: [../base]\nnamePrefix: m-\nsecretGenerator:\n- name: s\n  behavior: merge\n  literals: [M=2]\n",
  "top/kustomization.yaml": "resources: [../mid]\nnamePrefix: t-\nnamespace: top\nsecretGenerator:\n- name: s\n  behavior: merge\n  literals: [T=3]\n"}, "top")
case("error-base-is-parent-dir", {
  "l1/kustomization.yaml": "secretGenerator:\n- name: deep\n  literals: [ONE=1]\n",
  "l1/sub/kustomization.yaml": "resources: [..]\n"}, "l1/sub")
case("error-merge-after-namespace-by-base-name", {
  "l1/kustomization.yaml": "secretGenerator:\n- name: deep\n  literals: [ONE=1]\n  options:\n    labels: {level: one}\n",
  "l2/kustomization.yaml": "resources: [../l1]\nnameSuffix: -s2\ncommonLabels: {two: '2'}\n",
  "l3/kustomization.yaml": "resources: [../l2]\nnamespace: three\nsecretGenerator:\n- name: deep\n  behavior: merge\n  literals: [THREE=3]\n",
  "l4/kustomization.yaml": "resources: [../l3]\nnamePrefix: four-\ncommonAnnotations: {four: 'yes'}\nsecretGenerator:\n- name: deep\n  namespace: three\n  behavior: merge\n  literals: [FOUR=4]\n"}, "l4")
case("nested-four-levels", {
  "l1/kustomization.yaml": "secretGenerator:\n- name: deep\n  literals: [ONE=1]\n  options:\n    labels: {level: one}\n",
  "l2/kustomization.yaml": "resources: [../l1]\nnameSuffix: -s2\ncommonLabels: {two: '2'}\n",
  "l3/kustomization.yaml": "resources: [../l2]\nnamespace: three\nsecretGenerator:\n- name: deep\n  behavior: merge\n  literals: [THREE=3]\n",
  "l4/kustomization.yaml": "resources: [../l3]\nnamePrefix: four-\ncommonAnnotations: {four: 'yes'}\nsecretGenerator:\n- name: deep-s2\n  namespace: three\n  behavior: merge\n  literals: [FOUR=4]\n"}, "l4")
case("nested-four-levels-replace-mid", {
  "l1/kustomization.yaml": "secretGenerator:\n- name: r\n  literals: [A=1]\n",
  "l2/kustomization.yaml": "resources: [../l1]\nnamePrefix: p2-\n",
  "l3/kustomization.yaml": "resources: [../l2]\nsecretGenerator:\n- name: r\n  behavior: replace\n  literals: [B=2]\n",
  "l4/kustomization.yaml": "resources: [../l3]\nnameSuffix: -x\nsecretGenerator:\n- name: r\n  behavior: merge\n  literals: [C=3]\n"}, "l4")
case("namespace-override", {
  "base/kustomization.yaml": "namespace: dev\nsecretGenerator:\n- name: db\n  literals: [P=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\nnamespace: prod\n"}, "overlay")
case("generator-namespace-merge", {
  "base/kustomization.yaml": "secretGenerator:\n- name: db\n  namespace: data\n  literals: [P=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\nsecretGenerator:\n- name: db\n  namespace: data\n  behavior: merge\n  literals: [Q=2]\n"}, "overlay")
case("error-merge-wrong-namespace", {
  "base/kustomization.yaml": "secretGenerator:\n- name: db\n  namespace: data\n  literals: [P=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\nsecretGenerator:\n- name: db\n  behavior: merge\n  literals: [Q=2]\n"}, "overlay")
case("merge-after-base-namespace", {
  "base/kustomization.yaml": "namespace: dev\nsecretGenerator:\n- name: db\n  literals: [P=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\nnamespace: prod\nsecretGenerator:\n- name: db\n  behavior: merge\n  literals: [Q=2]\n"}, "overlay")
case("prefix-and-suffix", ov("""
resources: [../base]
namePrefix: pre-
nameSuffix: -suf
"""), "overlay")
case("suffix-base-prefix-overlay", {
  "base/kustomization.yaml": "nameSuffix: -v1\nsecretGenerator:\n- name: cfg\n  literals: [A=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\nnamePrefix: eu-\nsecretGenerator:\n- name: cfg\n  behavior: merge\n  literals: [B=1]\n"}, "overlay")
case("labels-across-levels", {
  "base/kustomization.yaml": "labels:\n- pairs: {app: api}\n  includeSelectors: false\nsecretGenerator:\n- name: s\n  literals: [A=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\nlabels:\n- pairs: {env: prod, app: api2}\n  includeSelectors: true\n- pairs: {team: x}\n"}, "overlay")
case("common-labels-both-levels", {
  "base/kustomization.yaml": "commonLabels: {app: api, tier: back}\nsecretGenerator:\n- name: s\n  literals: [A=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\ncommonLabels: {tier: front, env: prod}\n"}, "overlay")
case("common-annotations-both-levels", {
  "base/kustomization.yaml": "commonAnnotations: {owner: base, note: 'a b'}\nsecretGenerator:\n- name: s\n  literals: [A=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\ncommonAnnotations: {owner: overlay}\n"}, "overlay")
case("options-labels-across-levels", {
  "base/kustomization.yaml": "generatorOptions:\n  labels: {from: base}\n  annotations: {b: '1'}\nsecretGenerator:\n- name: s\n  literals: [A=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\ngeneratorOptions:\n  labels: {from: overlay, o: '1'}\nsecretGenerator:\n- name: s\n  behavior: merge\n  literals: [B=1]\n  options:\n    annotations: {o: '2'}\n"}, "overlay")
case("options-nohash-base-merge", {
  "base/kustomization.yaml": "generatorOptions:\n  disableNameSuffixHash: true\nsecretGenerator:\n- name: s\n  literals: [A=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\nsecretGenerator:\n- name: s\n  behavior: merge\n  literals: [B=1]\n"}, "overlay")
case("options-nohash-overlay-merge", {
  "base/kustomization.yaml": "secretGenerator:\n- name: s\n  literals: [A=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\nsecretGenerator:\n- name: s\n  behavior: merge\n  literals: [B=1]\n  options:\n    disableNameSuffixHash: true\n"}, "overlay")
case("options-immutable-overlay", {
  "base/kustomization.yaml": "secretGenerator:\n- name: s\n  literals: [A=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\ngeneratorOptions:\n  immutable: true\nsecretGenerator:\n- name: s\n  behavior: merge\n  literals: [B=1]\n"}, "overlay")
case("options-immutable-base-lost-on-merge", {
  "base/kustomization.yaml": "secretGenerator:\n- name: s\n  literals: [A=1]\n  options: {immutable: true}\n",
  "overlay/kustomization.yaml": "resources: [../base]\nsecretGenerator:\n- name: s\n  behavior: merge\n  literals: [B=1]\n"}, "overlay")
case("merge-type-from-overlay", {
  "base/kustomization.yaml": "secretGenerator:\n- name: s\n  type: example.com/custom\n  literals: [A=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\nsecretGenerator:\n- name: s\n  behavior: merge\n  literals: [B=1]\n"}, "overlay")
case("component-adds-generator", {
  "comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nsecretGenerator:\n- name: from-comp\n  literals: [C=1]\n",
  **ov("resources: [../base]\ncomponents: [../comp]\nnamePrefix: x-\n")}, "overlay")
case("component-merges-base", {
  "comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nsecretGenerator:\n- name: api-env\n  behavior: merge\n  literals: [COMP=1]\n",
  **ov("resources: [../base]\ncomponents: [../comp]\n")}, "overlay")
case("component-transformers", {
  "comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamePrefix: c-\ncommonLabels: {comp: 'yes'}\n",
  **ov("resources: [../base]\ncomponents: [../comp]\nnamePrefix: o-\nsecretGenerator:\n- name: own\n  literals: [O=1]\n")}, "overlay")
case("two-components-in-order", {
  "c1/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nsecretGenerator:\n- name: api-env\n  behavior: merge\n  literals: [B=c1, C1=1]\n",
  "c2/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nsecretGenerator:\n- name: api-env\n  behavior: merge\n  literals: [B=c2]\n",
  **ov("resources: [../base]\ncomponents: [../c1, ../c2]\n")}, "overlay")
case("component-merges-overlay-generator", {
  "comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nsecretGenerator:\n- name: mine\n  behavior: merge\n  literals: [FROM=comp]\n",
  "overlay/kustomization.yaml": "components: [../comp]\nsecretGenerator:\n- name: mine\n  literals: [FROM=overlay, K=1]\n"}, "overlay")
case("component-with-resources", {
  "comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [secret.yaml]\n",
  "comp/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain-from-comp\ntype: Opaque\ndata:\n  k: dmFsdWU=\n",
  **ov("resources: [../base]\ncomponents: [../comp]\nnamespace: ns\n")}, "overlay")
case("error-component-in-resources", {
  "comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nsecretGenerator:\n- name: c\n  literals: [C=1]\n",
  "overlay/kustomization.yaml": "resources: [../comp]\n"}, "overlay")
case("component-at-top", {
  "comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamePrefix: c-\nsecretGenerator:\n- name: from-comp\n  literals: [C=1]\n"}, "comp")
case("component-at-top-with-base", {
  "comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [../base]\nnamespace: ns\nsecretGenerator:\n- name: api-env\n  behavior: merge\n  literals: [C=1]\n",
  **BASE}, "comp")
case("error-kustomization-in-components", {
  **BASE, "overlay/kustomization.yaml": "components: [../base]\n"}, "overlay")
case("plain-secret-in-base", {
  "base/kustomization.yaml": "resources: [secret.yaml]\n",
  "base/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\n  labels: {a: b}\ntype: Opaque\ndata:\n  user: YWRtaW4=\n",
  "overlay/kustomization.yaml": "resources: [../base]\nnamePrefix: p-\nnamespace: ns\ncommonLabels: {env: x}\n"}, "overlay")
case("plain-secret-merged-by-generator", {
  "base/kustomization.yaml": "resources: [secret.yaml]\n",
  "base/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\ntype: Opaque\ndata:\n  user: YWRtaW4=\n",
  "overlay/kustomization.yaml": "resources: [../base]\nsecretGenerator:\n- name: plain\n  behavior: merge\n  literals: [pass=x]\n"}, "overlay")
case("plain-secret-replaced-by-generator", {
  "base/kustomization.yaml": "resources: [secret.yaml]\n",
  "base/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\n  annotations: {keep: me}\ntype: Opaque\nstringData:\n  user: admin\n",
  "overlay/kustomization.yaml": "resources: [../base]\nsecretGenerator:\n- name: plain\n  behavior: replace\n  literals: [pass=x]\n"}, "overlay")
case("plain-secret-stringdata-labels", {
  "base/kustomization.yaml": "resources: [secret.yaml]\n",
  "base/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sd\nstringData:\n  conf: |\n    a: 1\n    b: 2\n",
  "overlay/kustomization.yaml": "resources: [../base]\nlabels:\n- pairs: {l: v}\ncommonAnnotations: {a: v}\n"}, "overlay")
case("plain-secrets-multi-doc", {
  "base/kustomization.yaml": "resources: [all.yaml]\n",
  "base/all.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata: {a: b}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: z-second\ndata:\n  k: dg==\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: a-first\n  namespace: kube-system\ndata:\n  k: dg==\n",
  "overlay/kustomization.yaml": "resources: [../base]\nnameSuffix: -o\n"}, "overlay")
# patches
case("patch-smp-generated", ov("""
resources: [../base]
patches:
- patch: |
    apiVersion: v1
    kind: Secret
    metadata:
      name: api-env
    data:
      PATCHED: eWVz
"""), "overlay")
case("patch-smp-target", ov("""
resources: [../base]
namePrefix: p-
patches:
- target:
    kind: Secret
    name: api-env
  patch: |
    apiVersion: v1
    kind: Secret
    metadata:
      name: whatever
      labels: {patched: 'true'}
    type: example.com/patched
"""), "overlay")
case("patch-json6902-inline", ov("""
resources: [../base]
patches:
- target:
    version: v1
    kind: Secret
    name: api-env
  patch: |
    - op: add
      path: /data/NEW
      value: bmV3
    - op: remove
      path: /data/A
"""), "overlay")
case("patch-json6902-legacy-field", ov("""
resources: [../base]
patchesJson6902:
- target:
    version: v1
    kind: Secret
    name: api-env
  path: ops.yaml
""", {"overlay/ops.yaml": "- op: replace\n  path: /data/B\n  value: cmVwbGFjZWQ=\n"}), "overlay")
case("patches-strategic-merge-file-plain", {
  "base/kustomization.yaml": "resources: [secret.yaml]\n",
  "base/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\ntype: Opaque\ndata:\n  user: YWRtaW4=\n",
  "overlay/kustomization.yaml": "resources: [../base]\nnamePrefix: o-\npatchesStrategicMerge:\n- patch.yaml\n",
  "overlay/patch.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\ndata:\n  pass: cGFzcw==\n  user: null\n"}, "overlay")
case("patches-strategic-merge-inline", ov("""
resources: [../base]
patchesStrategicMerge:
- |-
  apiVersion: v1
  kind: Secret
  metadata:
    name: api-env
    annotations:
      note: inline
"""), "overlay")
case("patch-delete-secret", ov("""
resources: [../base]
secretGenerator:
- name: keep
  literals: [K=1]
patches:
- patch: |
    $patch: delete
    apiVersion: v1
    kind: Secret
    metadata:
      name: api-env
"""), "overlay")
case("patch-label-selector", {
  "base/kustomization.yaml": "secretGenerator:\n- name: one\n  literals: [A=1]\n  options: {labels: {pick: 'yes'}}\n- name: two\n  literals: [A=2]\n",
  "overlay/kustomization.yaml": "resources: [../base]\npatches:\n- target:\n    labelSelector: pick=yes\n  patch: |\n    - op: add\n      path: /metadata/annotations\n      value: {picked: 'true'}\n"}, "overlay")
case("patch-name-regex", {
  "base/kustomization.yaml": "secretGenerator:\n- name: db-a\n  literals: [A=1]\n- name: db-b\n  literals: [A=2]\n- name: web\n  literals: [A=3]\n",
  "overlay/kustomization.yaml": "resources: [../base]\npatches:\n- target:\n    kind: Secret\n    name: db-.*\n  patch: |\n    apiVersion: v1\n    kind: Secret\n    metadata:\n      name: any\n    data:\n      EXTRA: ZQ==\n"}, "overlay")
case("patch-base-name-after-prefix", {
  "base/kustomization.yaml": "namePrefix: base-\nsecretGenerator:\n- name: s\n  literals: [A=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\npatches:\n- patch: |\n    apiVersion: v1\n    kind: Secret\n    metadata:\n      name: s\n    data:\n      B: Yg==\n"}, "overlay")
case("patch-current-name-after-prefix", {
  "base/kustomization.yaml": "namePrefix: base-\nsecretGenerator:\n- name: s\n  literals: [A=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\npatches:\n- target:\n    name: base-s\n  patch: |\n    - op: add\n      path: /data/C\n      value: Yw==\n"}, "overlay")
case("patch-change-type", ov("""
resources: [../base]
patches:
- target: {kind: Secret}
  patch: |
    - op: replace
      path: /type
      value: example.com/other
"""), "overlay")
case("patch-targets-deployment-only", ov("""
resources: [../base]
patches:
- target: {kind: Deployment}
  patch: |
    - op: replace
      path: /metadata/name
      value: api2
"""), "overlay")
case("patch-stringdata-hash", ov("""
resources: [../base]
patches:
- patch: |
    apiVersion: v1
    kind: Secret
    metadata:
      name: api-env
    stringData:
      plain: text
"""), "overlay")
case("patch-in-base-and-overlay", {
  "base/kustomization.yaml": "secretGenerator:\n- name: s\n  literals: [A=1]\npatches:\n- target: {name: s}\n  patch: '[{\"op\": \"add\", \"path\": \"/data/BASE\", \"value\": \"Yg==\"}]'\n",
  "overlay/kustomization.yaml": "resources: [../base]\nnamespace: o\npatches:\n- target: {name: s}\n  patch: '[{\"op\": \"add\", \"path\": \"/data/OVER\", \"value\": \"bw==\"}]'\n"}, "overlay")
case("error-patch-no-match", ov("""
resources: [../base]
patches:
- patch: |
    apiVersion: v1
    kind: Secret
    metadata:
      name: missing
    data: {A: YQ==}
"""), "overlay")
case("json-patch-replace-missing-key", ov("""
resources: [../base]
patches:
- target: {kind: Secret}
  patch: |
    - op: replace
      path: /data/NOPE
      value: eA==
"""), "overlay")
case("error-json-patch-remove-missing", ov("""
resources: [../base]
patches:
- target: {kind: Secret}
  patch: |
    - op: remove
      path: /data/NOPE
"""), "overlay")
# generators configs
case("builtin-generator-config-in-base", {
  "base/kustomization.yaml": "generators: [gen.yaml]\n",
  "base/gen.yaml": "apiVersion: builtin\nkind: SecretGenerator\nmetadata:\n  name: built\nliterals: [A=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\nnamePrefix: o-\nsecretGenerator:\n- name: built\n  behavior: merge\n  literals: [B=2]\n"}, "overlay")
case("builtin-generator-inline-overlay", ov("""
resources: [../base]
generators:
- |
  apiVersion: builtin
  kind: SecretGenerator
  metadata:
    name: inline-gen
  behavior: create
  literals:
  - X=1
"""), "overlay")
case("builtin-generator-config-merge", ov("""
resources: [../base]
generators: [merge.yaml]
""", {"overlay/merge.yaml": "apiVersion: builtin\nkind: SecretGenerator\nmetadata:\n  name: api-env\nbehavior: merge\nliterals: [FROMCONFIG=1]\n"}), "overlay")
# misc
case("local-config-dropped", {
  "base/kustomization.yaml": "resources: [secret.yaml]\nsecretGenerator:\n- name: kept\n  literals: [A=1]\n",
  "base/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: local\n  annotations:\n    config.kubernetes.io/local-config: 'true'\ndata:\n  k: dg==\n",
  "overlay/kustomization.yaml": "resources: [../base]\n"}, "overlay")
case("overlay-no-own-generator", ov("resources: [../base]\nnamespace: stage\n"), "overlay")
case("overlay-without-secrets", {
  "base/kustomization.yaml": "resources: [deploy.yaml]\n", "base/deploy.yaml": DEPLOY,
  "overlay/kustomization.yaml": "resources: [../base]\nnamespace: x\n"}, "overlay")
case("kustomization-yml-names", {
  "base/kustomization.yml": "secretGenerator:\n- name: yml\n  literals: [A=1]\n",
  "mid/Kustomization": "resources: [../base]\nnamePrefix: m-\n",
  "overlay/kustomization.yaml": "resources: [../mid]\n"}, "overlay")
case("double-merge-mid-and-top", {
  "base/kustomization.yaml": "secretGenerator:\n- name: s\n  literals: [A=1, B=1, C=1]\n",
  "mid/kustomization.yaml": "resources: [../base]\nsecretGenerator:\n- name: s\n  behavior: merge\n  literals: [B=2]\n  options: {labels: {mid: 'yes'}}\n",
  "top/kustomization.yaml": "resources: [../mid]\nsecretGenerator:\n- name: s\n  behavior: merge\n  literals: [C=3]\n  options: {labels: {top: 'yes'}}\n"}, "top")
case("resources-file-and-base-order", {
  "base/kustomization.yaml": "secretGenerator:\n- name: b\n  literals: [A=1]\n",
  "overlay/kustomization.yaml": "resources: [secret.yaml, ../base]\nsecretGenerator:\n- name: a\n  literals: [A=1]\n",
  "overlay/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: c\ndata:\n  k: dg==\n"}, "overlay")
case("namespaced-and-cluster-order", {
  "base/kustomization.yaml": "secretGenerator:\n- name: z\n  literals: [A=1]\n- name: ns-y\n  namespace: aaa\n  literals: [A=1]\n- name: ns-x\n  namespace: zzz\n  literals: [A=1]\n",
  "overlay/kustomization.yaml": "resources: [../base]\nnamePrefix: o-\n"}, "overlay")
case("shared-base-two-overlays-dev", {
  **BASE,
  "overlays/dev/kustomization.yaml": "resources: [../../base]\nnamespace: dev\nnamePrefix: dev-\nsecretGenerator:\n- name: api-env\n  behavior: merge\n  literals: [B=dev]\n",
  "overlays/prod/kustomization.yaml": "resources: [../../base]\nnamespace: prod\nnamePrefix: prod-\nsecretGenerator:\n- name: api-env\n  behavior: merge\n  literals: [B=prod]\n"}, "overlays/dev")
case("merge-binary-file", {
  "base/kustomization.yaml": "secretGenerator:\n- name: bin\n  files: [blob.bin]\n",
  "base/blob.bin": "\x00\x01\x02binary\xff".encode("latin-1").decode("latin-1"),
  "overlay/kustomization.yaml": "resources: [../base]\nsecretGenerator:\n- name: bin\n  behavior: merge\n  literals: [long=" + "x"*90 + "]\n"}, "overlay")
case("replacements-configmap-only", {
  **BASE, "overlay/kustomization.yaml": "resources: [../base]\nreplacements:\n- source: {kind: Deployment, name: api, fieldPath: metadata.name}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [metadata.annotations.x]\n    options: {create: true}\n"}, "overlay")
# load restrictor
case("error-restrictor-resource-file", {
  "outside/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k: dg==\n",
  "overlay/kustomization.yaml": "resources: [../outside/secret.yaml]\n"}, "overlay")
case("error-restrictor-patch-file", {**BASE,
  "outside/patch.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-env\ndata:\n  P: cA==\n",
  "overlay/kustomization.yaml": "resources: [../base]\npatches:\n- path: ../outside/patch.yaml\n"}, "overlay")
case("error-restrictor-base-source", {
  "outside.txt": "outside\n",
  "base/kustomization.yaml": "secretGenerator:\n- name: s\n  files: [../outside.txt]\n",
  "overlay/kustomization.yaml": "resources: [../base]\n"}, "overlay")
case("error-missing-base", {"overlay/kustomization.yaml": "resources: [../nowhere]\n"}, "overlay")
# refusals
case("refuse-remote-base", {"overlay/kustomization.yaml": "resources:\n- https://github.com/example/repo//base?ref=v1\nsecretGenerator:\n- name: s\n  literals: [A=1]\n"}, "overlay", refuse="remote base")
case("refuse-helm-chart", {"overlay/kustomization.yaml": "helmCharts:\n- name: app\n  repo: https://charts.example.com\n  version: 1.0.0\nsecretGenerator:\n- name: s\n  literals: [A=1]\n"}, "overlay", refuse="Helm chart")
case("refuse-transformer-plugin", {**BASE,
  "overlay/kustomization.yaml": "resources: [../base]\ntransformers: [t.yaml]\n",
  "overlay/t.yaml": "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: l\nlabels: {x: y}\nfieldSpecs:\n- path: metadata/labels\n  create: true\n"}, "overlay", refuse="transformer config")
case("refuse-generator-plugin", {**BASE,
  "overlay/kustomization.yaml": "resources: [../base]\ngenerators: [g.yaml]\n",
  "overlay/g.yaml": "apiVersion: example.com/v1\nkind: VaultSecretGenerator\nmetadata:\n  name: v\n"}, "overlay", refuse="generator plugin")
case("refuse-replacements-into-secret", {**BASE,
  "overlay/kustomization.yaml": "resources: [../base]\nreplacements:\n- source: {kind: Deployment, name: api, fieldPath: metadata.name}\n  targets:\n  - select: {kind: Secret}\n    fieldPaths: [metadata.annotations.x]\n    options: {create: true}\n"}, "overlay", refuse="replacement into a Secret")
case("refuse-remote-base-in-base", {
  "base/kustomization.yaml": "resources:\n- github.com/example/repo/base?ref=main\n",
  "overlay/kustomization.yaml": "resources: [../base]\n"}, "overlay", refuse="remote base below")

for name, (files, build, refuse) in cases.items():
    root = os.path.join(OUT, name)
    for rel, content in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        mode = "wb"
        data = content.encode("latin-1") if name == "merge-binary-file" and rel.endswith(".bin") else content.encode()
        open(p, mode).write(data)
    if build != ".":
        open(os.path.join(root, "build-dir"), "w").write(build + "\n")
    if refuse:
        open(os.path.join(root, "refuse"), "w").write(refuse + "\n")
print(len(cases))
