#!/usr/bin/env bash
# Writes dist/startup.order: the functions secretgen runs in its short calls, for the linker
# to lay out side by side (`cargo static-release` passes it to lld as --symbol-ordering-file).
#
#   benches/startup_order.sh
#
# kustomize starts the plugin once per generator. Left where the compiler puts them, the few
# hundred functions one call runs are spread over 10 MB of code, and the call takes one page
# fault for each 64 KiB it touches; laid out together, they fill a few dozen pages.
#
# The calls recorded (valgrind's callgrind lists every function a run enters): kustomize's
# plugin call (`SecretGenerator CONFIG`), `render` of a generator file, `render` of a small
# kustomization with resources (a Secret with stringData and a placeholder among them, which
# warns) and a patch, `render` of two Secret resources, and `render` of every build of the
# real-world corpus (testdata/realworld/builds.tsv, with its flags) when tests/setup.sh has
# fetched it. The functions most calls run come first: each is weighed by the calls that
# enter it, the plugin call counting as many as all the others together (kustomize runs it
# once per generator), so that a short call finds most of its code in the first pages. The
# file lists mangled names. A name that a later change of the code no longer produces is
# skipped by the linker (the rest keep their places): re-run this script when the benchmarks
# show the plugin call's page faults growing.
# Needs valgrind and python3, and the static build's toolchain (Rust >= 1.90, which links
# with lld).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in valgrind python3; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

cargo static-release --quiet
bin=$PWD/target/x86_64-unknown-linux-musl/release/secretgen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

record() {
  local out=$1
  shift
  valgrind --tool=callgrind --demangle=no --callgrind-out-file="$out" "$@" >/dev/null 2>"$out.err" \
    || { cat "$out.err" >&2; echo "startup_order: $* failed" >&2; exit 1; }
}

ln -s "$bin" "$work/SecretGenerator"
(cd testdata/quickstart && record "$work/1-plugin.cg" "$work/SecretGenerator" secretgen.yaml)
record "$work/2-render.cg" "$bin" render testdata/quickstart

mkdir "$work/tree"
cat >"$work/tree/kustomization.yaml" <<'EOF'
namespace: apps
resources:
- deployment.yaml
- secret.yaml
patches:
- path: replicas.yaml
secretGenerator:
- name: db
  literals:
  - user=admin
EOF
cat >"$work/tree/deployment.yaml" <<'EOF'
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
            name: db
EOF
# A Secret resource with stringData and an envsubst placeholder (cluster-api templates):
# the conversion to data and the warning it prints.
cat >"$work/tree/secret.yaml" <<'EOF'
apiVersion: v1
kind: Secret
metadata:
  name: token-${CLUSTER_NAME}
stringData:
  token: ${TOKEN}
EOF
cat >"$work/tree/replicas.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
EOF
record "$work/3-tree.cg" "$bin" render "$work/tree"

# Secret resources as small real trees list them (a namespace, a type, stringData or data):
# the builds where process start is most of the time.
mkdir "$work/secrets"
printf 'resources:\n- a.yaml\n- b.yaml\n' >"$work/secrets/kustomization.yaml"
cat >"$work/secrets/a.yaml" <<'EOF'
apiVersion: v1
kind: Secret
metadata:
  name: repo
  namespace: default
type: Opaque
stringData:
  password: p@ssw0rd
  username: backup
EOF
cat >"$work/secrets/b.yaml" <<'EOF'
apiVersion: v1
kind: Secret
metadata:
  name: creds
  labels:
    app: minio
type: Opaque
data:
  key: c2VjcmV0
EOF
record "$work/4-secrets.cg" "$bin" render "$work/secrets"

# Every build of the real-world corpus, with its flags, where tests/setup.sh fetched it.
trees=${SECRETGEN_REALWORLD:-$PWD/.tools/realworld}/trees
if [ -d "$trees" ]; then
  n=0
  while IFS=$'\t' read -r repo dir flags; do
    case $repo in '' | '#'*) continue ;; esac
    [ "$flags" = - ] && flags=
    n=$((n + 1))
    # shellcheck disable=SC2086 # the flags are words
    (cd "$trees/$repo" && record "$work/5-realworld-$(printf %03d "$n").cg" "$bin" render $flags "$dir")
  done <testdata/realworld/builds.tsv
  echo "startup_order: $n builds of the real-world corpus recorded" >&2
else
  echo "startup_order: no real-world corpus at $trees (tests/setup.sh fetches it): recording the calls above only" >&2
fi

python3 - "$work" dist/startup.order "$bin" <<'EOF'
import glob, re, subprocess, sys
work, out, bin = sys.argv[1:4]
# The C library's string functions come in one variant per processor feature, chosen at
# start; valgrind's virtual processor picks another than most machines do. A variant
# recorded brings its siblings beside it (not the transactional-memory or _chk ones).
symbols = subprocess.run(["nm", bin], capture_output=True, text=True, check=True).stdout
variant = re.compile(r"__([a-z]+)_(sse2|ssse3|sse4|avx|evex|erms)")
families = {}
for n in sorted(set(re.findall(r" [tT] (\S+)", symbols))):
    m = variant.match(n)
    if m and "_rtm" not in n and "_chk" not in n:
        families.setdefault(m.group(1), []).append(n)
def with_siblings(name):
    m = variant.match(name)
    return [name] + [n for n in families.get(m.group(1), []) if n != name] if m else [name]
# Each function weighs as many calls as enter it; the plugin call (the first recording)
# weighs as much as all the others together. Heaviest first; among equals, in the order the
# recordings first enter them.
recordings = sorted(glob.glob(work + "/*.cg"))
weight, first = {}, {}
for i, cg in enumerate(recordings):
    names = set()
    for line in open(cg, errors="replace"):
        m = re.match(r"c?fn=\(\d+\) (.+)", line)
        if m:
            # callgrind marks a function's recursion depth with 'N; unnamed code is (…) or 0x….
            name = re.sub(r"'\d+$", "", m.group(1).strip())
            if not name.startswith(("(", "0x")):
                names.add(name)
    w = max(len(recordings) - 1, 1) if i == 0 else 1
    for name in sorted(names):
        weight[name] = weight.get(name, 0) + w
        first.setdefault(name, len(first))
# What every call runs and valgrind cannot see: glibc's start-up looks up the kernel's vDSO
# (valgrind gives the program none). These go first.
unseen = ["_dl_new_object", "_dl_setup_hash", "_dl_add_to_namespace_list",
          "_dl_lookup_symbol_x", "do_lookup_x", "check_match", "__strcmp_evex"]
seen, order = set(), []
for name in unseen + sorted(weight, key=lambda n: (-weight[n], first[n])):
    for n in with_siblings(name):
        if n not in seen:
            order.append(n)
            seen.add(n)
with open(out, "w") as f:
    f.write("".join(n + "\n" for n in order))
print(f"{out}: {len(order)} functions")
EOF
