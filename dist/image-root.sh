#!/usr/bin/env bash
# The container image without a container engine: lays out the file tree the Dockerfile's
# FROM scratch stage produces (the static binary at /usr/local/bin/secretgen, nothing else)
# and runs it there, as user 999, in a root of its own (unshare --root; needs root or user
# namespaces; /proc mounted as a runtime would), for every way the image is used:
#   --version, render, the init container's `plugin install --bin-dir`, the exec plugin as
#   kustomize calls it, the KRM function, and an age-encrypted input with the identity from
#   SECRETGEN_AGE_IDENTITY_FILE.
# It first checks that the binary has no dynamic dependency (no interpreter, no NEEDED).
#
#   dist/image-root.sh [--bin FILE] [--keep DIR] [--tar FILE]
#
# --bin: the binary to check (default: builds `cargo static-release`).
# --keep: lay out the root in DIR and leave it there (default: a temporary directory).
# --tar: also write the image's file tree as a tarball (owner 0, mtime SOURCE_DATE_EPOCH or
#   0) that `docker import` / `podman import` turn into the image without a registry or a
#   Dockerfile build (see README, "Container image").
set -euo pipefail
cd "$(dirname "$0")/.."

bin= keep= tarball=
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --tar) tarball=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ -z "$bin" ]; then
  cargo static-release --quiet
  bin=target/x86_64-unknown-linux-musl/release/secretgen
fi
host_sg=$bin   # to prepare inputs outside the root

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# 1. No dynamic dependency.
if readelf -lW "$bin" | grep -q 'INTERP'; then fail "$bin has a program interpreter (dynamically linked)"; fi
if readelf -dW "$bin" | grep -q '(NEEDED)'; then fail "$bin needs shared libraries: $(readelf -dW "$bin" | grep NEEDED)"; fi
ldd_out=$(ldd "$bin" 2>&1 || true)
case "$ldd_out" in
  *"not a dynamic executable"*|*"statically linked"*) ok "ldd: ${ldd_out//$'\n'/ }" ;;
  *) fail "ldd lists dependencies: $ldd_out" ;;
esac

# 2. The image's tree, and what `docker run -v` would mount into it.
if [ -n "$keep" ]; then root=$keep; rm -rf "$root"; mkdir -p "$root"; else
  root=$(mktemp -d); trap 'rm -rf "$root"' EXIT; fi
chmod 0755 "$root"   # mktemp makes it 0700: user 999 must get in
install -D -m 0755 "$bin" "$root/usr/local/bin/secretgen"
if [ -n "$tarball" ]; then
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@${SOURCE_DATE_EPOCH:-0}" \
    -C "$root" -cf "$tarball" usr
  ok "image tree written to $tarball ($(du -h "$tarball" | cut -f1))"
fi
# A container runtime mounts /proc (the init container's copy reads /proc/self/exe).
mkdir -p "$root/work" "$root/custom-tools" "$root/proc"
cp -r testdata/quickstart "$root/work/quickstart"
chown -R 999:999 "$root/work" "$root/custom-tools"

# Runs the image's binary (or another path of the root) as user 999 in DIR of the root.
unshare=$(command -v unshare) || fail "unshare (util-linux) is needed"
run_in() {
  local wd=$1; shift
  env -i PATH=/usr/local/bin "${ENVS[@]}" \
    "$unshare" --pid --fork --mount-proc=/proc --root="$root" --wd="$wd" \
      --setuid 999 --setgid 999 "$@"
}
ENVS=()

out=$(run_in / /usr/local/bin/secretgen --version)
case "$out" in secretgen\ *\(commit\ *,\ built\ *\)) ok "--version: $out" ;; *) fail "--version: $out" ;; esac

want=$("$host_sg" render testdata/quickstart)
got=$(run_in /work /usr/local/bin/secretgen render quickstart)
[ "$got" = "$want" ] || fail "render differs in the root:\n$got"
grep -q 'name: db-user-pass-gd995d5t92' <<<"$got" || fail "render: $got"
ok "render: the docs example, db-user-pass-gd995d5t92"

# The init container's command (deploy/argocd), then the plugin as kustomize runs it.
run_in / /usr/local/bin/secretgen plugin install --bin-dir /custom-tools \
  --plugin-home /custom-tools/kustomize-plugin >/dev/null || fail "plugin install --bin-dir"
[ -x "$root/custom-tools/secretgen" ] || fail "no /custom-tools/secretgen"
got=$(run_in /work/quickstart /custom-tools/kustomize-plugin/secretgen.dev/v1/secretgenerator/SecretGenerator secretgen.yaml)
grep -q 'kustomize.config.k8s.io/needs-hash: "true"' <<<"$got" || fail "exec plugin: $got"
grep -q 'password.txt: MWYyZDFlMmU2N2Rm' <<<"$got" || fail "exec plugin: $got"
ok "init container's plugin install --bin-dir, then the exec plugin"

rl=$'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n'
rl+=$(sed 's/^/  /' testdata/quickstart/secretgen.yaml)
got=$(run_in /work/quickstart /usr/local/bin/secretgen fn <<<"$rl")
grep -q '  name: db-user-pass-gd995d5t92' <<<"$got" || fail "KRM function: $got"
ok "KRM function (ResourceList on stdin)"

# An age-encrypted input, the identity from the environment (as in ArgoCD).
mkdir -p "$root/work/enc" "$root/etc/secretgen"
"$host_sg" age keygen -o "$root/etc/secretgen/keys.txt" 2>/dev/null
recipient=$(sed -n 's/^# public key: //p' "$root/etc/secretgen/keys.txt")
printf 1f2d1e2e67df > "$root/work/enc/password.txt"
"$host_sg" age encrypt -r "$recipient" -o "$root/work/enc/password.txt.age" "$root/work/enc/password.txt"
rm "$root/work/enc/password.txt"
printf 'apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: enc\nfiles:\n- password.txt.age\n' \
  > "$root/work/enc/secretgen.yaml"
chown -R 999:999 "$root/work/enc" "$root/etc/secretgen"
ENVS=(SECRETGEN_AGE_IDENTITY_FILE=/etc/secretgen/keys.txt)
got=$(run_in /work/enc /usr/local/bin/secretgen render .)
grep -q 'password.txt: MWYyZDFlMmU2N2Rm' <<<"$got" || fail "age input: $got"
ok "age-encrypted input, identity from SECRETGEN_AGE_IDENTITY_FILE"

echo "all checks passed in an empty root ($(du -sh "$root/usr" | cut -f1) image tree)"
