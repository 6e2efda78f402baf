#!/usr/bin/env bash
# Records the expected output of every base/overlay/component case from the REAL tools:
# `kubectl kustomize` (kustomize v5.5.0 inside) and the standalone kustomize v5.8.1 that
# tests/setup.sh installs into .tools/bin.
#
#   ./record.sh              # every case
#   ./record.sh NAME...      # only cases whose name contains one of the arguments
#   KUBECTL=... KUSTOMIZE=... ./record.sh
#
# Per case <case>/ (a tree; `build-dir` names the directory to build, default `.`):
#   kubectl exit 0  -> expected.yaml: the Secret documents of its output, in its order
#   kubectl exit !0 -> expected.err:  its stderr (case path -> @CASEDIR@); secretgen must
#                                     exit 2 on the case
#   kustomize v5.8.1 giving other Secrets (or another outcome) -> expected-v5.8.yaml / .err
# Cases with a `refuse` file hold what secretgen refuses (a remote base, a Helm chart, a
# plugin, replacements into a Secret): nothing is recorded for them (kustomize would fetch
# or run it); secretgen must exit 2 naming the file, line and field.
set -u
export LC_ALL=C
HERE="$(cd "$(dirname "$0")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
KUBECTL="${KUBECTL:-kubectl}"
KUSTOMIZE="${KUSTOMIZE:-$REPO/.tools/bin/kustomize}"
cd "$HERE"
{
  echo "# kubectl version --client"
  "$KUBECTL" version --client 2>&1
  echo "# kustomize version"
  "$KUSTOMIZE" version 2>&1
} > ORACLE-VERSION

# The Secret documents of kustomize's output, in its order (testdata/secrets_only.py).
secrets_only() {
  python3 "$HERE/../secrets_only.py"
}

# The case path as @CASEDIR@, klog's time and pid zeroed, Go heap pointers as 0xc000000000.
normalise() {
  sed -E -e "s#$1#@CASEDIR@#g" \
    -e 's/^([EWIF])[0-9]{4} [0-9:.]{15} +[0-9]+ /\10000 00:00:00.000000       0 /' \
    -e 's/0xc[0-9a-f]{9,}/0xc000000000/g'
}

selected() {
  local name="$1"; shift
  [ $# -eq 0 ] && return 0
  for f in "$@"; do [[ "$name" == *"$f"* ]] && return 0; done
  return 1
}

n=0
for c in */; do
  c="${c%/}"
  selected "$c" "$@" || continue
  rm -f "$c"/expected.yaml "$c"/expected.err "$c"/expected-v5.8.yaml "$c"/expected-v5.8.err
  [ -f "$c/refuse" ] && continue
  build="$c"
  [ -f "$c/build-dir" ] && build="$c/$(cat "$c/build-dir")"
  casedir="$HERE/$c"
  if out="$("$KUBECTL" kustomize "$build" 2>/tmp/record-err.$$)"; then
    printf '%s\n' "$out" | secrets_only > "$c/expected.yaml"
    [ -s "$c/expected.yaml" ] || : > "$c/expected.yaml"
    kubectl_ok=1
  else
    normalise "$casedir" < /tmp/record-err.$$ > "$c/expected.err"
    kubectl_ok=0
  fi
  if out2="$("$KUSTOMIZE" build "$build" 2>/tmp/record-err.$$)"; then
    printf '%s\n' "$out2" | secrets_only > /tmp/record-v58.$$
    if [ $kubectl_ok = 0 ] || ! cmp -s /tmp/record-v58.$$ "$c/expected.yaml"; then
      cp /tmp/record-v58.$$ "$c/expected-v5.8.yaml"
    fi
  elif [ $kubectl_ok = 1 ]; then
    normalise "$casedir" < /tmp/record-err.$$ > "$c/expected-v5.8.err"
  fi
  n=$((n + 1))
done
rm -f /tmp/record-err.$$ /tmp/record-v58.$$
echo "recorded $n cases"
