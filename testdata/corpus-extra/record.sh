#!/usr/bin/env bash
# Records the expected.* files of our extra conformance cases from the REAL `kubectl kustomize`
# (kustomize v5.5.0), with the same layout and normalisation as the shared corpus
# (../shared/corpus/README.md):
#
#   ./record.sh              # every case under kustomize/
#   ./record.sh NAME...      # only cases whose directory name contains one of the arguments
#   KUBECTL=/path/to/kubectl ./record.sh
#
# Per case kustomize/<case>/: runs `kubectl kustomize [oracle.args...] .` inside
# <case>/<build-dir or .>, with the VAR=value lines of oracle.env (@CASEDIR@ = the case's
# absolute path; every KCORPUS_* variable of the caller is unset first).
#   exit 0  -> expected.yaml (stdout), expected.stderr (stderr, only when non-empty)
#   exit !0 -> expected.err  (stderr; case path -> @CASEDIR@, klog time/pid zeroed,
#                             Go heap pointers -> 0xc000000000)
#              expected.msg  (the bare message: Go-unquoted err="..." of the klog line,
#                             or the text after "error: " / "Error: ")
#              expected.exit (exit status), expected.out (stdout, only when non-empty)
# Stale files of the other outcome are removed. ORACLE-VERSION records the tool used.
set -u
export LC_ALL=C
HERE="$(cd "$(dirname "$0")" && pwd -P)"
cd "$HERE"
KUBECTL="${KUBECTL:-kubectl}"

for v in $(env | sed -n 's/^\(KCORPUS_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done

{
  echo "# kubectl version --client (tool that produced the expected files)"
  "$KUBECTL" version --client 2>&1
} > ORACLE-VERSION

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
  local name="$1"; shift
  [ $# -eq 0 ] && return 0
  for f in "$@"; do [[ "$name" == *"$f"* ]] && return 0; done
  return 1
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
n=0; nfail=0
for d in "$HERE"/kustomize/*/; do
  d="${d%/}"; name="$(basename "$d")"
  selected "$name" "$@" || continue
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
  ( cd "$d/$bdir" && env ${envs[@]+"${envs[@]}"} "$KUBECTL" kustomize ${args[@]+"${args[@]}"} . ) \
    >"$tmp/out" 2>"$tmp/err"
  rc=$?
  rm -f "$d"/expected.{yaml,stderr,err,msg,exit,out}
  if [ "$rc" -eq 0 ]; then
    cp "$tmp/out" "$d/expected.yaml"
    [ -s "$tmp/err" ] && cp "$tmp/err" "$d/expected.stderr"
  else
    normalise "$d" "$tmp/err" "$d/expected.err" "$d/expected.msg"
    echo "$rc" > "$d/expected.exit"
    [ -s "$tmp/out" ] && cp "$tmp/out" "$d/expected.out"
    nfail=$((nfail+1))
  fi
  n=$((n+1))
done
echo "kustomize: $n cases ($nfail expected failures)"
