#!/usr/bin/env python3
"""`secretgen render` against `kustomize build` on every build of the real-world corpus
(testdata/realworld/builds.tsv, trees fetched by tests/setup.sh), with the flags builds.tsv
gives, in alternating runs (S K K S S K …) so that a changing load falls on both alike. The
runs go round the builds (every build's first pair, then every build's second, …), so that
a build's samples are spread over the whole call and a burst of load on the machine takes
one sample of many builds, not every sample of one.
Prints, per build, the median wall time of each and the ratio kustomize/secretgen of the
medians (and the same for CPU time, user + system, which a loaded machine disturbs less), then the builds sorted by ratio (slowest first) and the minimum ratio.

    benches/realworld.py [--secretgen BIN] [--kustomize BIN] [--runs N] [--only SUBSTR]...
                         [--slowest N] [--tsv FILE]

Wall time is taken around each process (posix_spawn to exit), stdout and stderr to /dev/null,
HOME and XDG_CONFIG_HOME pointed nowhere as score.sh does, and proxies that lead nowhere as
record.sh sets them. Each build is run once by each tool before timing (warm page cache).
"""

import argparse
import collections
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def builds(tsv):
    for line in open(tsv):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        repo, d, flags = line.split("\t")
        yield repo, d, [] if flags == "-" else flags.split()


def timed(argv, cwd, env):
    """Wall and CPU time (user + system) of one run, spawned without a shell (posix_spawn, so that the timer's own
    cost stays well under a millisecond for both tools), its output to /dev/null."""
    null = os.open(os.devnull, os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
    here = os.getcwd()
    os.chdir(cwd)
    try:
        t = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        dt = time.perf_counter() - t
    finally:
        os.chdir(here)
        os.close(null)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"realworld: {' '.join(argv)} (in {cwd}) exited {os.waitstatus_to_exitcode(status)}")
    return dt, usage.ru_utime + usage.ru_stime


# One build as measured: its name, where and what each tool runs, and the samples (wall and
# CPU seconds per tool).
Build = collections.namedtuple("Build", "name cwd cmds wall cpu")


def order_effect(build, runs, env):
    """How much a run depends on the one before it, on one build: the median wall time of
    each tool right after a run of itself and right after one of the other tool."""
    name, cwd, cmds = build.name, build.cwd, build.cmds
    walls = {f"{lab} after {prev}": [] for lab in "SK" for prev in "SK"}
    for _ in range(runs):
        for key, samples in walls.items():
            lab, prev = key[0], key[-1]
            timed(cmds[prev], cwd, env)
            samples.append(timed(cmds[lab], cwd, env)[0])
    return {"build": name, **{k: statistics.median(v) for k, v in walls.items()}}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--secretgen", default=os.path.join(REPO, "target", "release", "secretgen"))
    p.add_argument("--kustomize", default=os.path.join(REPO, ".tools", "bin", "kustomize"))
    p.add_argument("--trees", default=os.path.join(
        os.environ.get("SECRETGEN_REALWORLD", os.path.join(REPO, ".tools", "realworld")), "trees"))
    p.add_argument("--tsv", default=os.path.join(REPO, "testdata", "realworld", "builds.tsv"))
    p.add_argument("--runs", type=int, default=5, help="timed runs of each tool per build")
    p.add_argument("--only", action="append", default=[], help="builds whose repo/dir contains this")
    p.add_argument("--slowest", type=int, default=10, help="how many of the lowest ratios to list")
    p.add_argument("--json", help="also write every build's medians to this file")
    a = p.parse_args()
    for b in (a.secretgen, a.kustomize):
        if not os.access(b, os.X_OK):
            sys.exit(f"realworld: {b} is not an executable (cargo build --release; bash tests/setup.sh)")
    env = dict(os.environ, HOME="/nonexistent", XDG_CONFIG_HOME="/nonexistent",
               HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", LC_ALL="C")
    sg = os.path.abspath(a.secretgen)
    ku = os.path.abspath(a.kustomize)
    chosen = []
    for repo, d, flags in builds(a.tsv):
        name = f"{repo}/{d}"
        if a.only and not any(o in name for o in a.only):
            continue
        cwd = os.path.join(a.trees, repo)
        if not os.path.isfile(os.path.join(cwd, ".fetched")):
            sys.exit(f"realworld: {repo} is not fetched (run bash tests/setup.sh)")
        cmds = {"S": [sg, "render", *flags, d], "K": [ku, "build", *flags, d]}
        for c in cmds.values():
            timed(c, cwd, env)
        chosen.append(Build(name, cwd, cmds, {"S": [], "K": []}, {"S": [], "K": []}))
    for r in range(a.runs):
        print(f"realworld: round {r + 1} of {a.runs}", file=sys.stderr, flush=True)
        for name, cwd, cmds, t, cpu in chosen:
            for lab in ("S", "K") if r % 2 == 0 else ("K", "S"):
                wall, used = timed(cmds[lab], cwd, env)
                t[lab].append(wall)
                cpu[lab].append(used)
    rows = []
    for name, _, _, t, cpu in chosen:
        s, k = statistics.median(t["S"]), statistics.median(t["K"])
        cs, ck = statistics.median(cpu["S"]), statistics.median(cpu["K"])
        rows.append((name, s, k, k / s, cs, ck))
        print(f"{name}\t{s * 1000:.1f} ms\t{k * 1000:.1f} ms\t{k / s:.1f}x"
              f"\tcpu {cs * 1000:.1f} ms\t{ck * 1000:.1f} ms\t{ck / max(cs, 1e-4):.1f}x", flush=True)
    if not rows:
        sys.exit("realworld: no build selected")
    rows.sort(key=lambda r: r[3])
    print(f"\n{len(rows)} builds, {a.runs} runs each; lowest ratios (kustomize/secretgen):")
    print("| build | secretgen | kustomize | ratio | CPU secretgen | CPU kustomize | CPU ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, s, k, ratio, cs, ck in rows[: a.slowest]:
        print(f"| {name} | {s * 1000:.1f} ms | {k * 1000:.1f} ms | {ratio:.1f}x "
              f"| {cs * 1000:.1f} ms | {ck * 1000:.1f} ms | {ck / max(cs, 1e-4):.1f}x |")
    order = order_effect(next(b for b in chosen if b.name == rows[0][0]), a.runs, env)
    print(f"\n{order['build']}, medians of {a.runs} runs of each tool right after another run: "
          + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in order.items() if k != "build"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"runs": a.runs, "builds": [
                {"build": name, "secretgen": s, "kustomize": k, "cpu_secretgen": cs, "cpu_kustomize": ck}
                for name, s, k, _, cs, ck in rows], "order_effect": order}, f, indent=1)
    print(f"\nminimum ratio {rows[0][3]:.1f}x at {rows[0][0]}; "
          f"{sum(r[3] >= 10 for r in rows)} of {len(rows)} builds at >= 10x")


if __name__ == "__main__":
    main()
