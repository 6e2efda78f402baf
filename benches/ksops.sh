#!/usr/bin/env bash
# The KSOPS row: real KSOPS against secretgen in its place, inside the same kustomize build.
#
#   KSOPS_BIN=/path/to/ksops benches/ksops.sh [--runs N] [--work DIR] [--bin SECRETGEN]
#
# For N = 1, 20 and 200 `kind: ksops` generators (each: one SOPS-encrypted Secret manifest
# under `files:` and one `secretFrom` Secret from a SOPS dotenv file and a SOPS YAML file),
# builds the tree with kustomize (the pinned v5.8.1) once with real KSOPS as the exec plugin
# and once with secretgen, checks that both print the same bytes, then times both builds
# alternately with hyperfine; also times one plugin call of each on its own, without a shell
# (the cost per generator, process start included; /bin/true is the floor of any process
# start). Prints a Markdown table (BENCHMARKS.md).
# KSOPS is not installed by tests/setup.sh (its module is not on the Go module proxy): build
# it from its v4.5.1 source yourself. Needs hyperfine, and sops, age-keygen and kustomize in
# .tools/bin (tests/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=10
work=${TMPDIR:-/tmp}/secretgen-bench-ksops
bin=
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
ksops=${KSOPS_BIN:?set KSOPS_BIN to a KSOPS v4.5.1 binary}
tools=$root/.tools/bin
for t in kustomize sops age-keygen; do
  [ -x "$tools/$t" ] || { echo "missing: $tools/$t (run tests/setup.sh)" >&2; exit 2; }
done
command -v hyperfine >/dev/null || { echo "missing: hyperfine (apt-get install hyperfine)" >&2; exit 2; }
if [ -z "$bin" ]; then
  cargo build --release --locked --quiet
  bin=$root/target/release/secretgen
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

mkdir -p "$work"
[ -f "$work/key.txt" ] || "$tools/age-keygen" -o "$work/key.txt" 2>/dev/null
recipient=$(grep -o 'age1[0-9a-z]*' "$work/key.txt" | head -1)
enc() { "$tools/sops" --encrypt --age "$recipient" --unencrypted-regex '^(apiVersion|metadata|kind|type)$' \
  --input-type "$1" --output-type "$1" /dev/stdin 2>/dev/null; }

# The plugin homes and PATHs: one with KSOPS, one with secretgen in its place.
rm -rf "$work/hosts"
mkdir -p "$work/hosts/ksops/plugin/viaduct.ai/v1/ksops" "$work/hosts/ksops/bin"
ln -s "$ksops" "$work/hosts/ksops/plugin/viaduct.ai/v1/ksops/ksops"
ln -s "$ksops" "$work/hosts/ksops/bin/ksops"
"$bin" plugin install --ksops --plugin-home "$work/hosts/secretgen/plugin" \
  --bin-dir "$work/hosts/secretgen/bin" >/dev/null 2>&1

tree() {
  local n=$1 d=$work/n$1
  [ -f "$d/kustomization.yaml" ] && return
  rm -rf "$d"; mkdir -p "$d"
  {
    echo "generators:"
    for i in $(seq 0 $((n - 1))); do echo "  - gen-$i.yaml"; done
  } >"$d/kustomization.yaml.tmp"
  for i in $(seq 0 $((n - 1))); do
    cat >"$d/gen-$i.yaml" <<YAML
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: gen-$i
files:
  - ./manifest-$i.enc.yaml
secretFrom:
  - metadata:
      name: app-$i
      namespace: bench
      annotations:
        kustomize.config.k8s.io/needs-hash: "true"
    type: Opaque
    files:
      - ./config-$i.enc.yaml
    envs:
      - ./app-$i.enc.env
YAML
    printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: manifest-%s\n  namespace: bench\ntype: Opaque\nstringData:\n  token: tok-%s-%s\n  url: https://db-%s.internal:5432\n' \
      "$i" "$i" "$RANDOM$RANDOM" "$i" | enc yaml >"$d/manifest-$i.enc.yaml"
    printf 'db:\n  user: app%s\n  password: pw-%s\nfeatures: [a, b]\n' "$i" "$RANDOM$RANDOM" | enc yaml >"$d/config-$i.enc.yaml"
    printf 'API_KEY=key-%s\nexport MODE="prod"\nREPLICAS=3\n' "$RANDOM$RANDOM" | enc dotenv >"$d/app-$i.enc.env"
  done
  mv "$d/kustomization.yaml.tmp" "$d/kustomization.yaml"
}

build_cmd() { # HOST DIR
  echo "env PATH=$work/hosts/$1/bin:$tools:/usr/bin:/bin KUSTOMIZE_PLUGIN_HOME=$work/hosts/$1/plugin SOPS_AGE_KEY_FILE=$work/key.txt $tools/kustomize build --enable-alpha-plugins --enable-exec $2"
}
plugin_cmd() { # HOST: one call, run (without a shell) in the tree's directory
  echo "$work/hosts/$1/plugin/viaduct.ai/v1/ksops/ksops gen-0.yaml"
}

ms() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join('%.1f' % (x['median']*1000) for x in r))" "$1"; }

echo "| N | kustomize + KSOPS (ms) | kustomize + secretgen (ms) | speed-up | one KSOPS call (ms) | one secretgen call (ms) | /bin/true (ms) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for n in 1 20 200; do
  tree "$n"
  d=$work/n$n
  a=$(eval "$(build_cmd ksops "$d")")
  b=$(eval "$(build_cmd secretgen "$d")")
  if [ "$a" != "$b" ]; then
    echo "N=$n: outputs differ; not timing" >&2
    diff <(echo "$a") <(echo "$b") | head -20 >&2
    exit 1
  fi
  hyperfine --style none --warmup 1 --runs "$runs" --export-json "$work/build-$n.json" \
    "$(build_cmd ksops "$d")" "$(build_cmd secretgen "$d")" >/dev/null
  (cd "$d" && SOPS_AGE_KEY_FILE=$work/key.txt hyperfine -N --style none --warmup 5 --runs $((runs * 20)) \
    --export-json "$work/call-$n.json" "$(plugin_cmd ksops)" "$(plugin_cmd secretgen)" /bin/true >/dev/null)
  read -r tk ts < <(ms "$work/build-$n.json")
  read -r ck cs ct < <(ms "$work/call-$n.json")
  speed=$(python3 -c "print('%.1f×' % ($tk / $ts))")
  echo "| $n | $tk | $ts | $speed | $ck | $cs | $ct |"
done
