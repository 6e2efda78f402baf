#!/usr/bin/env bash
# Records, for every build of builds.tsv, the Secret documents that the REAL kustomize v5.8.2
# (.tools/bin/kustomize, installed by tests/setup.sh) prints for `kustomize build DIR` on the
# fetched tree (fetch.sh), into expected/<repo>/<DIR with / as __>.yaml.
#
#   ./record.sh              # every build
#   ./record.sh NAME...      # only builds whose `repo/dir` contains one of the arguments
#   KUSTOMIZE=... SECRETGEN_REALWORLD=... ./record.sh
#
# The extraction rule is testdata/secrets_only.py, as for testdata/overlays: the documents of kustomize's output
# holding a `kind: Secret` line, in kustomize's order. A build that fails or holds no Secret
# is an error: builds.tsv lists only builds that succeed offline and print a Secret. Proxies
# that lead nowhere are set so that a remote base could not be fetched unnoticed.
set -u
export LC_ALL=C
HERE="$(cd "$(dirname "$0")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
KUSTOMIZE="${KUSTOMIZE:-$REPO/.tools/bin/kustomize}"
TREES="${SECRETGEN_REALWORLD:-$REPO/.tools/realworld}/trees"
cd "$HERE"
if ! "$KUSTOMIZE" version 2>/dev/null | grep -q 'v5\.8\.2'; then
  echo "record: $KUSTOMIZE is not kustomize v5.8.2 (run bash tests/setup.sh)" >&2
  exit 1
fi
{
  echo "# kustomize version"
  "$KUSTOMIZE" version 2>&1
} > ORACLE-VERSION

# The Secret documents of kustomize's output, in its order (testdata/secrets_only.py).
secrets_only() {
  python3 "$HERE/../secrets_only.py"
}

selected() {
  local name="$1"; shift
  [ $# -eq 0 ] && return 0
  for f in "$@"; do [[ "$name" == *"$f"* ]] && return 0; done
  return 1
}

n=0
docs=0
bad=0
[ $# -eq 0 ] && rm -rf expected
while IFS=$'\t' read -r repo dir flags; do
  [[ "$repo" == \#* || -z "$repo" ]] && continue
  selected "$repo/$dir" "$@" || continue
  if [ ! -f "$TREES/$repo/.fetched" ]; then
    echo "record: $repo is not fetched (run testdata/realworld/fetch.sh)" >&2
    bad=$((bad + 1)); continue
  fi
  args=()
  [ "$flags" != "-" ] && read -r -a args <<< "$flags"
  out_file="expected/$repo/${dir//\//__}.yaml"
  mkdir -p "expected/$repo"
  if ! out="$(cd "$TREES/$repo" && HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 \
    "$KUSTOMIZE" build "${args[@]}" "$dir" 2>/tmp/record-rw-err.$$)"; then
    echo "record: $repo/$dir: kustomize build failed:" >&2
    head -n 3 /tmp/record-rw-err.$$ >&2
    rm -f "$out_file"; bad=$((bad + 1)); continue
  fi
  printf '%s\n' "$out" | secrets_only > "$out_file"
  if [ ! -s "$out_file" ]; then
    echo "record: $repo/$dir: no Secret in kustomize's output" >&2
    rm -f "$out_file"; bad=$((bad + 1)); continue
  fi
  docs=$((docs + $(grep -c '^kind: Secret$' "$out_file")))
  n=$((n + 1))
done < builds.tsv
rm -f /tmp/record-rw-err.$$
echo "recorded $n builds ($docs Secret documents), $bad failed"
[ $bad -eq 0 ] || exit 1
# README.md's table, between its `table` markers, from repos.tsv and what was recorded.
[ $# -eq 0 ] && python3 - <<'PY'
import collections, re
rows = [l.rstrip("\n").split("\t") for l in open("repos.tsv") if not l.startswith("#")]
builds = collections.Counter()
secrets = collections.Counter()
for l in open("builds.tsv"):
    if l.startswith("#"):
        continue
    repo, d, _ = l.rstrip("\n").split("\t")
    builds[repo] += 1
    f = "expected/%s/%s.yaml" % (repo, d.replace("/", "__"))
    secrets[repo] += sum(1 for x in open(f) if x == "kind: Secret\n")
lines = ["| repository | module@version | commit | licence | builds | Secrets |",
         "|---|---|---|---|---|---|"]
for name, module, version, commit, _sum, licence, source, _keep in rows:
    c = commit[:12] if commit != "-" else "(not reported by the proxy)"
    lines.append(f"| [{name}]({source}) | `{module}@{version}` | `{c}` | {licence} | {builds[name]} | {secrets[name]} |")
lines.append(f"| **{len(rows)} repositories** | | | | **{sum(builds.values())}** | **{sum(secrets.values())}** |")
text = open("README.md").read()
table = "<!-- table: written by record.sh -->\n" + "\n".join(lines) + "\n<!-- end table -->"
text = re.sub(r"<!-- table: written by record.sh -->.*?<!-- end table -->", lambda _: table, text, flags=re.S)
open("README.md", "w").write(text)
PY
