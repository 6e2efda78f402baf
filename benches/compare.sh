#!/usr/bin/env bash
# secretgen against kubectl kustomize, side by side on generated workloads.
#
#   benches/compare.sh [--quick] [--static] [--overlays-only] [--runs N] [--work DIR] [--json FILE]
#
# Builds the release binary, generates the workloads (benches/gen_workload.py, seeded, cached
# in DIR between runs), checks that every command gives the same Secrets, then times them
# alternately and prints a Markdown table of medians against the targets (BENCHMARKS.md).
# --quick: 100 instead of 1000 generators and fewer runs (about a minute).
# --static: measure the statically linked build (`cargo static-release`, see BENCHMARKS.md).
# --overlays-only: only the main workload as one base + 10 overlays (kubectl kustomize run
#   once per overlay against one secretgen render of all of them).
# Needs kubectl (with kustomize v5), age, age-keygen, python3, hyperfine and /usr/bin/time;
# installs the last two with apt-get when run as root, otherwise says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

work=${TMPDIR:-/tmp}/secretgen-bench
args=()
static=
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work=$2; shift 2 ;;
    --quick) args+=(--quick); shift ;;
    --overlays-only) args+=(--overlays-only); shift ;;
    --static) static=1; shift ;;
    --runs|--json) args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

need_apt=()
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
[ -x /usr/bin/time ] || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y "${need_apt[@]}" >/dev/null
  else
    echo "missing: ${need_apt[*]} (Debian/Ubuntu: sudo apt-get install ${need_apt[*]})" >&2
    exit 2
  fi
fi
# The pinned peer tools of tests/setup.sh (Go age) come first, as in the tests.
export PATH="$PWD/.tools/bin:$PATH"
for tool in kubectl age age-keygen python3; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (see tests/setup.sh)" >&2; exit 2; }
done

if [ -n "$static" ]; then
  # The release build that ships (.cargo/config.toml), sharing its build cache.
  cargo static-release --quiet
  bin=target/x86_64-unknown-linux-gnu/release/secretgen
else
  cargo build --release --locked --quiet
  bin=target/release/secretgen
fi
exec python3 benches/compare.py --secretgen "$bin" --work "$work" "${args[@]}"
