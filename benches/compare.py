#!/usr/bin/env python3
"""secretgen against kubectl kustomize on generated workloads; run through benches/compare.sh.

Every row runs its commands alternately (A B C A B C ...), so that load from other processes
falls on all of them alike, and reports medians. Outputs are checked for equality first: a
faster wrong answer does not count.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen_workload.py")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def spawn(cmd, env=None):
    """Runs cmd with stdout to /dev/null; returns (seconds, peak RSS in KiB)."""
    actions = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
    t0 = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, env or os.environ, file_actions=actions)
    _, status, ru = os.wait4(pid, 0)
    dt = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return dt, ru.ru_maxrss


def output(cmd, env=None):
    p = subprocess.run(cmd, env=env or os.environ, capture_output=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.decode(errors='replace')}")
    return p.stdout


def docs(yaml_bytes):
    """The YAML stream as a sorted list of documents (kustomize and secretgen may order
    generator and plugin output differently; the documents themselves must be equal)."""
    return sorted(yaml_bytes.split(b"\n---\n"))


def alternate(cmds, runs, warmup=1):
    """cmds: {label: (argv, env)}. Returns {label: [seconds...]}, {label: [rss...]}."""
    for _ in range(warmup):
        for argv, env in cmds.values():
            spawn(argv, env)
    times = {k: [] for k in cmds}
    rss = {k: [] for k in cmds}
    for _ in range(runs):
        for k, (argv, env) in cmds.items():
            t, m = spawn(argv, env)
            times[k].append(t)
            rss[k].append(m)
    return times, rss


def med(xs):
    return statistics.median(xs)


def ms(x):
    return f"{x * 1000:.1f} ms" if x < 10 else f"{x:.2f} s"


def gen(out, n, k, s, seed=1, enc=0.0, layout="both", identity=None):
    if os.path.exists(os.path.join(out, ".done")) and open(os.path.join(out, ".done")).read() == repr(
        (n, k, s, seed, enc, layout)
    ):
        return out
    argv = [sys.executable, GEN, out, "-n", str(n), "-k", str(k), "-s", str(s), "--seed", str(seed),
            "--layout", layout, "--encrypted", str(enc)]
    if identity:
        argv += ["--identity", identity]
    subprocess.run(argv, check=True)
    with open(os.path.join(out, ".done"), "w") as f:
        f.write(repr((n, k, s, seed, enc, layout)))
    return out


def time_v(argv, env=None):
    """Peak RSS (KiB) as /usr/bin/time -v reports it."""
    p = subprocess.run(["/usr/bin/time", "-v"] + argv, env=env or os.environ,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{p.stderr}")
    for line in p.stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.split(":")[1])
    sys.exit("no 'Maximum resident set size' in /usr/bin/time -v output")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--secretgen", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--runs", type=int)
    p.add_argument("--json", help="write the figures here as JSON")
    p.add_argument("--overlays-only", action="store_true", help="only the base + 10 overlays row")
    a = p.parse_args()

    sg = os.path.abspath(a.secretgen)
    q = a.quick
    N = 100 if q else 1000            # generators in the main workload
    runs = a.runs or (3 if q else 5)  # alternating runs of the heavy rows
    small_runs = 5 if q else 15       # ... of the 20-generator and age rows
    os.makedirs(a.work, exist_ok=True)
    W = lambda name: os.path.join(a.work, name)  # noqa: E731
    res = {"quick": q, "runs": runs}

    if a.overlays_only:
        main_ = gen(W(f"main-{N}x10x1k"), N, 10, 1024, layout="builtin")
        res["overlays"] = overlays(sg, main_, W(f"overlays-{N}"), runs)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(res, f, indent=1)
        report_overlays(res["overlays"])
        return

    home = W("plugin-home")
    output([sg, "plugin", "install", "--plugin-home", home])
    penv = dict(os.environ, KUSTOMIZE_PLUGIN_HOME=home)
    kk = ["kubectl", "kustomize"]
    kp = ["kubectl", "kustomize", "--enable-alpha-plugins"]

    # --- (a) kubectl kustomize, (b) secretgen render, (c) kustomize + plugin --------------
    main_ = gen(W(f"main-{N}x10x1k"), N, 10, 1024)
    log(f"checking outputs on {main_}")
    out_a = output(kk + [main_ + "/builtin"])
    out_b = output([sg, "render", main_ + "/builtin"])
    out_c = output(kp + [main_ + "/plugin"], penv)
    if out_a != out_b:
        sys.exit("secretgen render differs from kubectl kustomize on the main workload")
    if docs(out_a) != docs(out_c):
        sys.exit("kustomize through the plugin differs from the builtin generator")
    log(f"main: {N} generators x 10 keys x 1 KiB, {runs} alternating runs")
    t, _ = alternate({
        "a": (kk + [main_ + "/builtin"], None),
        "b": ([sg, "render", main_ + "/builtin"], None),
        "c": (kp + [main_ + "/plugin"], penv),
    }, runs)
    ta, tb, tc = med(t["a"]), med(t["b"]), med(t["c"])
    res["main"] = {"generators": N, "a": ta, "b": tb, "c": tc, "a_over_b": ta / tb, "c_over_a": tc / ta,
                   "samples": t}

    res["overlays"] = overlays(sg, main_, W(f"overlays-{N}"), runs)

    # --- plugin overhead: 20 builtin generators vs the same 20 through the plugin ---------
    g20 = gen(W("g20"), 20, 10, 1024)
    if docs(output(kk + [g20 + "/builtin"])) != docs(output(kp + [g20 + "/plugin"], penv)):
        sys.exit("20 generators: plugin output differs from the builtin")
    # The cheapest possible plugin, /bin/cat (it prints the config back, a resource of its own
    # kind and name): what kustomize itself spends per exec plugin, whatever the plugin does.
    cat_home = W("cat-plugin-home")
    cat = os.path.join(cat_home, "secretgen.dev/v1/secretgenerator/SecretGenerator")
    if not os.path.exists(cat):
        os.makedirs(os.path.dirname(cat))
        os.symlink("/bin/cat", cat)
    cenv = dict(os.environ, KUSTOMIZE_PLUGIN_HOME=cat_home)
    log(f"plugin overhead: 20 generators, {small_runs} alternating runs")
    t, _ = alternate({"builtin": (kk + [g20 + "/builtin"], None), "plugin": (kp + [g20 + "/plugin"], penv),
                      "cat": (kp + [g20 + "/plugin"], cenv)}, small_runs)
    b20, p20, c20 = med(t["builtin"]), med(t["plugin"]), med(t["cat"])
    res["overhead20"] = {"builtin": b20, "plugin": p20, "cat": c20, "per_generator": (p20 - b20) / 20,
                         "cat_per_generator": (c20 - b20) / 20, "samples": t}

    # --- scaling: 10x generators, 10x value size -----------------------------------------
    g10 = gen(W(f"gens-{N * 10}x10x1k"), N * 10, 10, 1024, layout="builtin")
    s10 = gen(W(f"size-{N}x10x10k"), N, 10, 10240, layout="builtin")
    log(f"scaling: {runs} alternating runs")
    t, rss = alternate({
        "base": ([sg, "render", main_ + "/builtin"], None),
        "gens10": ([sg, "render", g10 + "/builtin"], None),
        "size10": ([sg, "render", s10 + "/builtin"], None),
    }, runs)
    base = med(t["base"])
    res["scaling"] = {"base": base, "gens10": med(t["gens10"]), "size10": med(t["size10"]),
                      "gens10_ratio": med(t["gens10"]) / base, "size10_ratio": med(t["size10"]) / base,
                      "generators10": N * 10, "samples": t}

    # --- memory: /usr/bin/time -v, peak RSS against the secret data -----------------------
    mem = {}
    for label, tree, data in [("main", main_, N * 10 * 1024), ("gens10", g10, N * 100 * 1024),
                              ("size10", s10, N * 100 * 1024)]:
        kib = time_v([sg, "render", tree + "/builtin"])
        limit = 2 * data + 20 * 1024 * 1024
        mem[label] = {"data": data, "rss": kib * 1024, "limit": limit}
    res["memory"] = mem

    # --- age: 1000 encrypted files against the same 1000 in plain -------------------------
    plain = gen(W(f"age-plain-{N}"), N, 1, 1024, seed=7, layout="builtin")
    enc = gen(W(f"age-enc-{N}"), N, 1, 1024, seed=7, enc=1.0, layout="builtin")
    aenv = dict(os.environ, SECRETGEN_AGE_IDENTITY_FILE=os.path.join(enc, "identity.txt"))
    if output([sg, "render", plain + "/builtin"]) != output([sg, "render", enc + "/builtin"], aenv):
        sys.exit("age: the encrypted tree renders differently from the plain one")
    log(f"age: {N} encrypted files, {small_runs} alternating runs")
    t, _ = alternate({"plain": ([sg, "render", plain + "/builtin"], None),
                      "enc": ([sg, "render", enc + "/builtin"], aenv)}, small_runs)
    res["age"] = {"files": N, "plain": med(t["plain"]), "enc": med(t["enc"]),
                  "per_file": (med(t["enc"]) - med(t["plain"])) / N, "samples": t}

    # --- start-up: hyperfine, no shell ----------------------------------------------------
    one = gen(W("one"), 1, 10, 1024, layout="builtin")
    hf = W("hyperfine.json")
    hruns = "100" if q else "500"
    subprocess.run(["hyperfine", "-N", "--style", "none", "--warmup", "20", "--runs", hruns, "--export-json", hf,
                    "-n", "true", "/bin/true",
                    "-n", "version", f"{sg} --version",
                    "-n", "render-one", f"{sg} render {one}/builtin"], check=True, stdout=subprocess.DEVNULL)
    r = {x["command"]: x for x in json.load(open(hf))["results"]}
    res["startup"] = {"version": r["version"]["median"], "render_one": r["render-one"]["median"],
                      "true": r["true"]["median"],
                      "runs": int(hruns)}

    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    report(res)


OVERLAYS = 10


def overlays(sg, main_, out, runs):
    """The main workload as one base and 10 overlays (each: its namespace and prefix, and a
    `behavior: merge` into one of the base's generators): `kubectl kustomize` once per overlay
    against one `secretgen render` of the directory holding the overlays."""
    base = os.path.relpath(os.path.join(main_, "builtin"), os.path.join(out, "ov00"))
    dirs = []
    for i in range(OVERLAYS):
        d = os.path.join(out, f"ov{i:02d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "kustomization.yaml"), "w") as f:
            f.write(f"resources:\n- {base}\nnamespace: ns{i:02d}\nnamePrefix: ov{i:02d}-\n"
                    f"labels:\n- pairs: {{overlay: ov{i:02d}}}\n"
                    f"secretGenerator:\n- name: g00000\n  behavior: merge\n  literals: [OVERLAY=ov{i:02d}]\n")
        dirs.append(d)
    log(f"checking outputs on {out}")
    want = [doc for d in dirs for doc in output(["kubectl", "kustomize", d]).split(b"---\n")]
    got = output([sg, "render", out]).split(b"---\n")
    if sorted(want) != sorted(got):
        sys.exit("secretgen render differs from kubectl kustomize on the overlays")
    log(f"overlays: 1 base + {OVERLAYS} overlays, {runs} alternating runs")
    times = {"kubectl": [], "secretgen": []}
    spawn([sg, "render", out])
    for _ in range(runs):
        t = 0.0
        for d in dirs:
            t += spawn(["kubectl", "kustomize", d])[0]
        times["kubectl"].append(t)
        times["secretgen"].append(spawn([sg, "render", out])[0])
    k, g = med(times["kubectl"]), med(times["secretgen"])
    return {"overlays": OVERLAYS, "kubectl": k, "secretgen": g, "ratio": k / g, "samples": times}


def overlay_rows(o):
    ok = lambda c: "yes" if c else "**no**"  # noqa: E731
    return [
        (f"kubectl kustomize once per overlay, 1 base + {o['overlays']} overlays", ms(o["kubectl"]), ""),
        ("secretgen render of the overlays' directory (all trees, one run)", ms(o["secretgen"]), ""),
        ("overlays: secretgen speed-up", f"{o['ratio']:.1f}x", f">= 20x: {ok(o['ratio'] >= 20)}"),
    ]


def report_overlays(o):
    print("| measure | median | target |")
    print("|---|---:|---|")
    for label, v, t in overlay_rows(o):
        print(f"| {label} | {v} | {t} |")


def report(r):
    m, o, s, g, st = r["main"], r["overhead20"], r["scaling"], r["age"], r["startup"]
    ok = lambda c: "yes" if c else "**no**"  # noqa: E731
    rows = [
        (f"(a) kubectl kustomize, {m['generators']} gens x 10 keys x 1 KiB", ms(m["a"]), ""),
        ("(b) secretgen render, same tree", ms(m["b"]), ""),
        ("(c) kubectl kustomize + secretgen exec plugin", ms(m["c"]), ""),
        ("(a)/(b): secretgen speed-up", f"{m['a_over_b']:.1f}x", f">= 20x: {ok(m['a_over_b'] >= 20)}"),
        ("(c)/(a): plugin against builtin", f"{m['c_over_a']:.2f}x", ""),
        ("kustomize, 20 builtin generators", ms(o["builtin"]), ""),
        ("kustomize, the same 20 through the plugin", ms(o["plugin"]), ""),
        ("plugin overhead per generator", f"{o['per_generator'] * 1000:.2f} ms",
         f"<= 3 ms: {ok(o['per_generator'] <= 0.003)}"),
        ("kustomize, the same 20 through `/bin/cat` as the plugin (kustomize's own exec cost)",
         ms(o["cat"]), ""),
        (f"render, {s['generators10']} generators (10x)", ms(s["gens10"]),
         f"{s['gens10_ratio']:.1f}x time, <= 11x: {ok(s['gens10_ratio'] <= 11)}"),
        ("render, 10 KiB values (10x)", ms(s["size10"]),
         f"{s['size10_ratio']:.1f}x time, <= 11x: {ok(s['size10_ratio'] <= 11)}"),
    ]
    if "overlays" in r:
        rows += overlay_rows(r["overlays"])
    for label, x in r["memory"].items():
        rows.append((f"peak RSS, {label} ({x['data'] / 2**20:.1f} MiB of data)", f"{x['rss'] / 2**20:.1f} MiB",
                     f"<= {x['limit'] / 2**20:.0f} MiB: {ok(x['rss'] <= x['limit'])}"))
    rows += [
        (f"render, {g['files']} files x 1 KiB plain", ms(g["plain"]), ""),
        (f"render, the same {g['files']} age-encrypted", ms(g["enc"]), ""),
        ("age cost per encrypted file", f"{g['per_file'] * 1000:.3f} ms",
         f"<= 0.3 ms: {ok(g['per_file'] <= 0.0003)}"),
        ("`secretgen --version`", ms(st["version"]), f"< 2 ms: {ok(st['version'] < 0.002)}"),
        ("one-generator render (10 keys x 1 KiB)", ms(st["render_one"]), f"< 2 ms: {ok(st['render_one'] < 0.002)}"),
        ("`/bin/true`, the cost of any process start here", ms(st["true"]), ""),
    ]
    print("| measure | median | target |")
    print("|---|---:|---|")
    for label, v, t in rows:
        print(f"| {label} | {v} | {t} |")
    print(f"\n{'quick mode, ' if r['quick'] else ''}{r['runs']} alternating runs per heavy row; "
          f"start-up: hyperfine -N, {st['runs']} runs")


if __name__ == "__main__":
    main()
