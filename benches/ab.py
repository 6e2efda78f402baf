#!/usr/bin/env python3
"""Two secretgen binaries side by side (e.g. a dynamically and a statically linked build):
start-up (`--version`, a one-generator render, one exec-plugin call as kustomize makes it) and
render figures (1000 generators; 1000 age-encrypted files), timed with hyperfine in
alternating rounds (A B A B …) so that a changing load falls on both alike, plus peak RSS.

    benches/ab.py A_BINARY B_BINARY [--work DIR] [--rounds N] [--quick]

Prints a Markdown table of medians over all runs. Needs hyperfine, /usr/bin/time and
python3 (and age-keygen on PATH for the encrypted workload, as gen_workload.py does).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def gen(out, *args):
    if not os.path.isdir(out):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_workload.py"), out, *args],
                       check=True, stdout=subprocess.DEVNULL)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "secretgen-ab"))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    W = lambda n: os.path.join(a.work, n)  # noqa: E731
    one = gen(W("one"), "-n", "1", "-k", "10", "-s", "1024", "--seed", "1", "--layout", "both")
    main_ = gen(W("main"), "-n", "1000", "-k", "10", "-s", "1024", "--seed", "1", "--layout", "builtin")
    enc = gen(W("enc"), "-n", "1000", "-k", "1", "-s", "1024", "--seed", "7", "--encrypted", "1.0",
              "--layout", "builtin")
    bins = {}
    for label, path in (("A", a.a), ("B", a.b)):
        path = os.path.abspath(path)
        d = W(f"plugin-{label}")
        os.makedirs(d, exist_ok=True)
        link = os.path.join(d, "SecretGenerator")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(path, link)
        bins[label] = (path, link)

    # The plugin runs with the kustomization root as working directory: run hyperfine there.
    cwd = os.path.join(one, "plugin")
    env = dict(os.environ, SECRETGEN_AGE_IDENTITY_FILE=os.path.join(enc, "identity.txt"))
    cases = [
        ("`--version`", "version", lambda b, l: f"{b} --version", 200),
        ("one-generator render (10 keys x 1 KiB)", "one", lambda b, l: f"{b} render {one}/builtin", 200),
        ("one exec-plugin call (`SecretGenerator CONFIG`)", "plugin", lambda b, l: f"{l} gens/g00000.yaml", 200),
        ("render, 1000 generators x 10 keys x 1 KiB", "main", lambda b, l: f"{b} render {main_}/builtin", 10),
        ("render, 1000 age-encrypted files of 1 KiB", "enc", lambda b, l: f"{b} render {enc}/builtin", 10),
    ]
    rounds = 2 if a.quick else a.rounds
    samples = {(c[1], lab): [] for c in cases for lab in bins}
    for r in range(rounds):
        order = ["A", "B"] if r % 2 == 0 else ["B", "A"]
        for title, key, cmd, runs in cases:
            runs = max(3, runs // (4 if a.quick else 1))
            out = os.path.join(a.work, "hf.json")
            argv = ["hyperfine", "-N", "--style", "none", "--warmup", "3", "--runs", str(runs), "--export-json", out]
            for lab in order:
                argv += ["-n", lab, cmd(*bins[lab])]
            subprocess.run(argv, check=True, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
            for res in json.load(open(out))["results"]:
                samples[(key, res["command"])].extend(res["times"])
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)

    def rss(b, tree):
        r = subprocess.run(["/usr/bin/time", "-f", "%M", b, "render", tree], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
        return int(r.stderr.strip().splitlines()[-1]) / 1024

    print(f"| measure | A: {a.a} | B: {a.b} | B/A |")
    print("|---|---:|---:|---:|")
    for title, key, _, _ in cases:
        ma = statistics.median(samples[(key, "A")])
        mb = statistics.median(samples[(key, "B")])
        print(f"| {title} | {ma * 1000:.2f} ms | {mb * 1000:.2f} ms | {mb / ma:.2f} |")
    for title, tree in (("peak RSS, 1000 generators", f"{main_}/builtin"),
                        ("peak RSS, 1000 encrypted files", f"{enc}/builtin")):
        ra = statistics.median(rss(bins["A"][0], tree) for _ in range(3))
        rb = statistics.median(rss(bins["B"][0], tree) for _ in range(3))
        print(f"| {title} | {ra:.1f} MiB | {rb:.1f} MiB | {rb / ra:.2f} |")
    # Instructions executed (callgrind), which the machine's load does not move: start-up
    # work, dynamic loading included, and the renders' own work.
    if subprocess.run(["sh", "-c", "command -v valgrind"], stdout=subprocess.DEVNULL).returncode == 0:
        for title, key, cmd, _ in cases:
            counts = []
            for lab in ("A", "B"):
                argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd(*bins[lab]).split()
                r = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True, check=True)
                counts.append(int(next(line.split()[-1] for line in r.stderr.splitlines()
                                       if "Collected :" in line)))
            print(f"| {title}, instructions | {counts[0]:,} | {counts[1]:,} | {counts[1] / counts[0]:.2f} |")
    n = {k: len(v) for k, v in samples.items()}
    print(f"\n{rounds} alternating rounds; runs per binary: "
          + ", ".join(f"{key} {n[(key, 'A')]}" for _, key, _, _ in cases))


if __name__ == "__main__":
    main()
