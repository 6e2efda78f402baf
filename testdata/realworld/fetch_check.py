"""Reads the output of `go mod download -json MODULE@VERSION` on stdin and checks it against
the pins of repos.tsv (argv: sum, commit or `-`). Prints `ZIP<TAB>DIR` and exits 0 when the
module is there with the pinned checksum and commit; otherwise prints why (the proxy's own
error, quoted) and exits 1."""

import json
import sys


def main() -> int:
    want_sum, want_commit = sys.argv[1], sys.argv[2]
    raw = sys.stdin.read()
    try:
        info = json.loads(raw)
    except json.JSONDecodeError:
        print(f"go mod download said: {raw.strip()!r}")
        return 1
    if info.get("Error"):
        print(f"the module proxy answered: {info['Error']!r}")
        return 1
    if info.get("Sum") != want_sum:
        print(f"checksum {info.get('Sum')!r}, pinned {want_sum!r}")
        return 1
    commit = (info.get("Origin") or {}).get("Hash")
    if want_commit != "-" and commit != want_commit:
        print(f"the proxy reports commit {commit}, pinned {want_commit}")
        return 1
    print(f"{info['Zip']}\t{info.get('Dir', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
