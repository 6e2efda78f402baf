#!/usr/bin/env bash
# Every benchmark of BENCHMARKS.md, written by this one script (benches/compare.py).
#
#   benches/compare.sh [--quick] [--only SECTION[,SECTION]] [--static | --bin SECRETGEN]
#                      [--runs N] [--work DIR] [--ksops PATH] [--report-only]
#
# Sections: main, scaling, realworld, plugin, sops, sops-write, age, startup (the default: all of them,
# about 15 minutes on 2 busy cores) and overlays (only when named). Builds the release binary
# (unless --bin), generates the workloads (benches/gen_workload.py, seeded, cached in DIR,
# default /tmp/secretgen-bench), checks that the commands compared give the same output, times
# them alternately, stores every sample in benches/results.json and writes BENCHMARKS.md and
# benches/scaling.svg from it. --only re-measures those sections and keeps the others.
# --quick: small workloads, few runs (a smoke test of a few minutes), written under DIR/quick/;
#   the repository is left alone.
# --static: measure the statically linked build (`cargo static-release`, .cargo/config.toml).
# --bin: measure this binary as it is (no build).
# --report-only: rewrite BENCHMARKS.md and the plot from benches/results.json.
# --ksops: KSOPS v4.5.1 for the sops section (default $KSOPS_BIN, else /tmp/ksops-bin/ksops).
# Needs kubectl, .tools/bin/{kustomize,sops,age,age-keygen} (tests/setup.sh), python3, cc with
# a static libc, taskset, script and /usr/bin/time (installed with apt-get when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

work=${TMPDIR:-/tmp}/secretgen-bench
args=()
static=
bin=
report=
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work=$2; shift 2 ;;
    --quick|--report-only) args+=("$1"); [ "$1" = --report-only ] && report=1; shift ;;
    --static) static=1; shift ;;
    --bin) bin=$2; shift 2 ;;
    --only|--runs|--ksops) args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

if [ -n "$report" ]; then
  exec python3 benches/compare.py --secretgen /dev/null --work "$work" "${args[@]}"
fi

[ -x /usr/bin/time ] || {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y time >/dev/null
  else
    echo "missing: /usr/bin/time (Debian/Ubuntu: sudo apt-get install time)" >&2
    exit 2
  fi
}
# The pinned peer tools of tests/setup.sh (Go age, sops, kustomize) come first, as in the tests.
export PATH="$PWD/.tools/bin:$PATH"
for tool in kubectl kustomize sops age age-keygen python3 taskset script cc; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (see tests/setup.sh)" >&2; exit 2; }
done

if [ -n "$bin" ]; then
  :
elif [ -n "$static" ]; then
  # The release build that ships (.cargo/config.toml), sharing its build cache.
  cargo static-release --quiet
  bin=target/x86_64-unknown-linux-musl/release/secretgen
else
  cargo build --release --locked --quiet --bin secretgen
  bin=target/release/secretgen
fi
exec python3 benches/compare.py --secretgen "$bin" --work "$work" "${args[@]}"
