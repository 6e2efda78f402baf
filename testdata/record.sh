#!/usr/bin/env bash
# Records every expected.* file of the conformance corpora from the REAL tools: the
# transcribed conformance corpus (corpus/: kustomize and `kubectl create secret` cases) and our
# own extra cases (corpus-extra/: kustomize cases). Layout and rules: corpus/README.md.
#
#   testdata/record.sh              # every case of both corpora
#   testdata/record.sh NAME...      # only cases whose directory name contains one of the arguments
#   KUBECTL=/path/to/kubectl testdata/record.sh
#
# kustomize/<case>/: runs `kubectl kustomize [oracle.args...] .` inside <case>/<build-dir or .>,
# with the VAR=value lines of oracle.env (@CASEDIR@ = the case's absolute path; every KCORPUS_*
# variable of the caller is unset first).
# kubectl-create/<case>/: runs `sh cmd.sh` inside <case> (`kubectl create secret … --dry-run=client
# -o yaml` with relative paths).
#   exit 0  -> expected.yaml (stdout), expected.stderr (stderr, only when non-empty)
#   exit !0 -> expected.err  (stderr; case path -> @CASEDIR@, klog time/pid zeroed,
#                             Go heap pointers -> 0xc000000000)
#              expected.msg  (the bare message: Go-unquoted err="..." of the klog line,
#                             or the text after "error: " / "Error: ")
#              expected.exit (exit status), expected.out (stdout, only when non-empty)
# Stale files of the other outcome are removed. ORACLE-VERSION records the tool used. Finally
# corpus/tools/verify_hashes.py re-derives every hash suffix with an independent hasher
# (needs python3-yaml; skipped with a note when missing).
set -u
export LC_ALL=C
export PYTHONDONTWRITEBYTECODE=1
HERE="$(cd "$(dirname "$0")" && pwd -P)"
cd "$HERE"

if [ -n "${KUBECTL:-}" ]; then
  shim="$(mktemp -d)"
  ln -s "$(command -v "$KUBECTL")" "$shim/kubectl"
  export PATH="$shim:$PATH"
fi
command -v kubectl >/dev/null || { echo "record: kubectl not found (tests/setup.sh installs it)" >&2; exit 2; }

for v in $(env | sed -n 's/^\(KCORPUS_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done

# normalise CASEDIR ERR_IN ERR_OUT MSG_OUT
normalise() {
  python3 - "$@" <<'PY'
import re, sys
casedir, src, dst_err, dst_msg = sys.argv[1].encode(), sys.argv[2], sys.argv[3], sys.argv[4]
data = open(src, "rb").read().replace(casedir, b"@CASEDIR@")
data = re.sub(rb"^([EWIF])\d{4} \d{2}:\d{2}:\d{2}\.\d{6} +\d+ ",
              lambda m: m.group(1) + b"0000 00:00:00.000000       0 ", data, flags=re.M)
data = re.sub(rb"0xc[0-9a-f]{9,}", b"0xc000000000", data)
open(dst_err, "wb").write(data)

def unquote(b):
    # Go strconv.Quote escapes, reversed.
    simple = {b"a": 7, b"b": 8, b"f": 12, b"n": 10, b"r": 13, b"t": 9, b"v": 11,
              b"\\": 92, b'"': 34, b"'": 39}
    out, i = bytearray(), 0
    while i < len(b):
        if b[i] != 0x5C:
            out.append(b[i]); i += 1; continue
        e = b[i + 1:i + 2]
        if e in simple:
            out.append(simple[e]); i += 2
        elif e == b"x":
            out.append(int(b[i + 2:i + 4], 16)); i += 4
        elif e == b"u":
            out += chr(int(b[i + 2:i + 6], 16)).encode(); i += 6
        elif e == b"U":
            out += chr(int(b[i + 2:i + 10], 16)).encode(); i += 10
        else:
            out.append(int(b[i + 1:i + 4], 8)); i += 4
    return bytes(out)

m = re.search(rb'"command failed" err="((?:[^"\\]|\\.)*)"\n?$', data)
if m:
    open(dst_msg, "wb").write(unquote(m.group(1)) + b"\n")
else:
    m = re.match(rb"(?:error|Error): (.*)\Z", data, re.S)
    if m:
        open(dst_msg, "wb").write(m.group(1))
PY
}

selected() {
  local name="$1"
  [ ${#FILTER[@]} -eq 0 ] && return 0
  for f in "${FILTER[@]}"; do [[ "$name" == *"$f"* ]] && return 0; done
  return 1
}
FILTER=("$@")

# record CASEDIR RC OUT ERR
record() {
  local d="$1" rc="$2" out="$3" err="$4"
  rm -f "$d"/expected.{yaml,stderr,err,msg,exit,out}
  if [ "$rc" -eq 0 ]; then
    cp "$out" "$d/expected.yaml"
    [ -s "$err" ] && cp "$err" "$d/expected.stderr"
  else
    normalise "$d" "$err" "$d/expected.err" "$d/expected.msg"
    echo "$rc" > "$d/expected.exit"
    [ -s "$out" ] && cp "$out" "$d/expected.out"
  fi
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp" ${shim:+"$shim"}' EXIT
status=0
for corpus in corpus corpus-extra; do
  {
    echo "# kubectl version --client (tool that produced the expected files)"
    kubectl version --client 2>&1
  } > "$corpus/ORACLE-VERSION"

  n=0; nfail=0
  for d in "$HERE/$corpus"/kustomize/*/; do
    d="${d%/}"; name="$(basename "$d")"
    selected "$name" || continue
    bdir="."
    [ -f "$d/build-dir" ] && bdir="$(head -n1 "$d/build-dir")"
    args=()
    if [ -f "$d/oracle.args" ]; then
      while IFS= read -r a; do [ -n "$a" ] && args+=("$a"); done < "$d/oracle.args"
    fi
    envs=()
    if [ -f "$d/oracle.env" ]; then
      while IFS= read -r a; do [ -n "$a" ] && envs+=("${a//@CASEDIR@/$d}"); done < "$d/oracle.env"
    fi
    ( cd "$d/$bdir" && env ${envs[@]+"${envs[@]}"} kubectl kustomize ${args[@]+"${args[@]}"} . ) \
      >"$tmp/out" 2>"$tmp/err"
    rc=$?
    record "$d" "$rc" "$tmp/out" "$tmp/err"
    n=$((n+1)); [ "$rc" -ne 0 ] && nfail=$((nfail+1))
  done
  echo "$corpus/kustomize: $n cases ($nfail expected failures)"

  [ -d "$corpus/kubectl-create" ] || continue
  n=0; nfail=0
  for d in "$HERE/$corpus"/kubectl-create/*/; do
    d="${d%/}"; name="$(basename "$d")"
    selected "$name" || continue
    ( cd "$d" && sh ./cmd.sh ) >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    record "$d" "$rc" "$tmp/out" "$tmp/err"
    n=$((n+1)); [ "$rc" -ne 0 ] && nfail=$((nfail+1))
  done
  echo "$corpus/kubectl-create: $n cases ($nfail expected failures)"
done

if python3 -c 'import yaml' 2>/dev/null; then
  python3 corpus/tools/verify_hashes.py || status=1
else
  echo "record: python3-yaml missing: hash suffixes not re-derived" >&2
fi
exit "$status"
