#!/usr/bin/env python3
"""secretgen against kustomize, sops and KSOPS; writes BENCHMARKS.md. Run through benches/compare.sh.

Sections (--only NAME[,NAME]; all but `overlays` by default):
  main        1000 generators x 10 files x 1 KiB: secretgen render vs `kubectl kustomize` and the
              standalone kustomize, then both pinned to one core (taskset -c 0)
  scaling     time and peak RSS (/usr/bin/time -f %M) against the size of the workload, and
              benches/scaling.svg
  plugin      the exec plugin inside kustomize: per-generator cost over the builtin, beside a
              static do-nothing plugin (benches/noop_plugin.c) as the floor
  sops        1000 SOPS files: secretgen render vs `sops --decrypt` per file vs kustomize + KSOPS
  sops-write  encrypt and edit of 1000 files, secretgen vs sops (benches/sops_write.sh)
  age         1000 age-encrypted files against the same in plain
  startup     --version and a one-generator render against /bin/true
  overlays    one base + 10 overlays: kubectl kustomize per overlay vs one secretgen render

Every row runs its commands alternately (A B C A B C ...) after a warm-up round, so that load
from other processes falls on all of them alike, and reports medians. Outputs are checked
first: a faster wrong answer does not count. Each section's figures go into a results file
(benches/results.json, with every sample, the load and the binary measured); BENCHMARKS.md and
benches/scaling.svg are written from the whole results file, so one section can be re-measured
alone and the others stay as they were measured (each says when, and under which load).
--quick: smaller workloads and fewer runs, into WORK/quick/ (the repository is left alone).
"""

import argparse
import concurrent.futures
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GEN = os.path.join(HERE, "gen_workload.py")
TOOLS = os.path.join(ROOT, ".tools", "bin")
KUSTOMIZE = os.path.join(TOOLS, "kustomize")
SOPS = os.path.join(TOOLS, "sops")
SECTIONS = ["main", "scaling", "realworld", "plugin", "sops", "sops-write", "age", "startup", "overlays"]
DEFAULT = [s for s in SECTIONS if s != "overlays"]
MiB = 1024 * 1024


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# --- running and timing -------------------------------------------------------------------

class Cmd:
    """One command: argv, extra environment, working directory, where stdout goes."""

    def __init__(self, argv, env=None, cwd=None):
        self.argv, self.env, self.cwd = [str(x) for x in argv], dict(env or {}), cwd

    def environ(self):
        return dict(os.environ, **self.env)

    def shown(self, ctx):
        """The command as a reader reruns it: $W for the work directory, `secretgen` for the
        measured binary, paths in the repository relative to its root."""
        def sub(s):
            s = s.replace(ctx.sg, "secretgen").replace(ctx.work, "$W").replace(ROOT + "/", "")
            return s
        parts = [f"{k}={sub(v)}" for k, v in sorted(self.env.items())] + [sub(x) for x in self.argv]
        s = " ".join(parts)
        return f"(cd {sub(self.cwd)} && {s})" if self.cwd else s


def spawn(cmd, out=os.devnull):
    """Runs cmd with stdout to `out`; returns seconds. posix_spawn, no shell."""
    actions = [(os.POSIX_SPAWN_OPEN, 1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
    old = None
    if cmd.cwd:
        old = os.getcwd()
        os.chdir(cmd.cwd)
    try:
        t0 = time.perf_counter()
        pid = os.posix_spawnp(cmd.argv[0], cmd.argv, cmd.environ(), file_actions=actions)
        _, status, _ = os.wait4(pid, 0)
        dt = time.perf_counter() - t0
    finally:
        if old:
            os.chdir(old)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed (exit {os.waitstatus_to_exitcode(status)}): {' '.join(cmd.argv)}")
    return dt


def spawn_rss(cmd, work, out=os.devnull):
    """Runs cmd under /usr/bin/time -f %M; returns (seconds, peak RSS in bytes)."""
    f = os.path.join(work, "time-m.txt")
    t = spawn(Cmd(["/usr/bin/time", "-f", "%M", "-o", f] + cmd.argv, cmd.env, cmd.cwd), out)
    with open(f) as fh:
        return t, int(fh.read().split()[-1]) * 1024


def output(cmd):
    p = subprocess.run(cmd.argv, env=cmd.environ(), cwd=cmd.cwd, capture_output=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd.argv)}\n{p.stderr.decode(errors='replace')[-2000:]}")
    return p.stdout


def docs(yaml_bytes):
    """The YAML stream as a sorted list of documents (kustomize orders plugin output in its own
    way; the documents themselves must be equal)."""
    return sorted(d.strip(b"\n") for d in re.split(rb"(?m)^---\n", yaml_bytes) if d.strip())


def alternate(cmds, runs, warmup=1, timer=spawn):
    """cmds: {label: Cmd or callable}. Returns {label: [seconds...]}, A B C A B C ..."""
    def one(c):
        return c() if callable(c) else timer(c)
    for _ in range(warmup):
        for c in cmds.values():
            one(c)
    times = {k: [] for k in cmds}
    for _ in range(runs):
        for k, c in cmds.items():
            times[k].append(one(c))
    return times


def med(xs):
    return statistics.median(xs)


def gen(out, n, k, s, seed=1, enc=0.0, layout="builtin"):
    key = repr((n, k, s, seed, enc, layout))
    done = os.path.join(out, ".done")
    if os.path.exists(done) and open(done).read() == key:
        return out
    subprocess.run([sys.executable, GEN, out, "-n", str(n), "-k", str(k), "-s", str(s), "--seed", str(seed),
                    "--layout", layout, "--encrypted", str(enc)], check=True)
    with open(done, "w") as f:
        f.write(key)
    return out


def gen_cmd(n, k, s, layout="builtin"):
    name = {"builtin": "gens", "both": "plugin"}[layout]
    return f"benches/gen_workload.py $W/{name}-{n}x{k}x{s} -n {n} -k {k} -s {s} --layout {layout}"


def loadavg():
    return os.getloadavg()


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def linking(path):
    """'static' or 'dynamic' from the ELF program headers (a PT_INTERP header names the loader)."""
    with open(path, "rb") as f:
        h = f.read(64)
        if h[:4] != b"\x7fELF" or h[4] != 2:
            return "unknown"
        phoff = int.from_bytes(h[32:40], "little")
        phentsize = int.from_bytes(h[54:56], "little")
        phnum = int.from_bytes(h[56:58], "little")
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    for i in range(phnum):
        if int.from_bytes(ph[i * phentsize:i * phentsize + 4], "little") == 3:  # PT_INTERP
            return "dynamic"
    return "static"


def first_line(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return (p.stdout or p.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unavailable"


class Ctx:
    def __init__(self, a):
        self.sg = os.path.abspath(a.secretgen)
        self.work = os.path.abspath(a.work)
        self.quick = a.quick
        self.runs = a.runs
        self.ksops = os.path.abspath(a.ksops) if a.ksops else None
        os.makedirs(self.work, exist_ok=True)

    def W(self, name):
        return os.path.join(self.work, name)

    def runs_or(self, full, quick):
        return self.runs or (quick if self.quick else full)


# --- sections -----------------------------------------------------------------------------

def sec_main(c):
    n = 100 if c.quick else 1000
    runs = c.runs_or(5, 3)
    runs1 = c.runs_or(3, 2)
    tree = gen(c.W(f"gens-{n}x10x1024"), n, 10, 1024) + "/builtin"
    cmds = {
        "kubectl": Cmd(["kubectl", "kustomize", tree]),
        "kustomize": Cmd([KUSTOMIZE, "build", tree]),
        "secretgen": Cmd([c.sg, "render", tree]),
    }
    log(f"main: checking outputs on {tree}")
    outs = {k: output(x) for k, x in cmds.items()}
    for k in ("kubectl", "kustomize"):
        if outs[k] != outs["secretgen"]:
            sys.exit(f"main: secretgen render prints other bytes than {k}")
    log(f"main: {n} generators x 10 keys x 1 KiB, {runs} alternating runs")
    t = alternate(cmds, runs, warmup=0)  # the check above was the warm-up
    one = {k: Cmd(["taskset", "-c", "0"] + cmds[k].argv) for k in ("kustomize", "secretgen")}
    log(f"main: one core (taskset -c 0), {runs1} alternating runs")
    t1 = alternate(one, runs1, warmup=0)  # the files are in the page cache already
    return {
        "generators": n, "keys": 10, "size": 1024, "data": n * 10 * 1024, "runs": runs, "runs1": runs1,
        "out_bytes": len(outs["secretgen"]), "secrets": outs["secretgen"].count(b"kind: Secret\n"),
        "workload": gen_cmd(n, 10, 1024),
        "rows": {k: {"median": med(v), "samples": v, "cmd": cmds[k].shown(c)} for k, v in t.items()},
        "one_core": {k: {"median": med(v), "samples": v, "cmd": one[k].shown(c)} for k, v in t1.items()},
    }


def scaling_sizes(quick):
    if quick:
        return [(100, 1024), (300, 1024), (1000, 1024), (100, 10240)], 300
    return [(100, 1024), (300, 1024), (1000, 1024), (3000, 1024), (10000, 1024), (1000, 10240)], 3000


def sec_scaling(c):
    sizes, kz_max = scaling_sizes(c.quick)
    sg_runs = c.runs_or(3, 2)
    rows = []
    for n, s in sizes:
        tree = gen(c.W(f"gens-{n}x10x{s}"), n, 10, s) + "/builtin"
        data = n * 10 * s
        sg = Cmd([c.sg, "render", tree])
        kz = Cmd([KUSTOMIZE, "build", tree])
        with_kz = n <= kz_max
        # kustomize's time grows faster than linearly (about 80 s for 3000 generators or 100 MB on
        # the loaded 2-core machine): one run beyond 10 MB of secret data, to stay within 15 minutes.
        kz_runs = (sg_runs if n * s <= 1000 * 1024 else 1) if with_kz else 0
        log(f"scaling: {n} generators x 10 x {s} B: secretgen {sg_runs} runs, kustomize {kz_runs}")
        o_sg, o_kz = c.W("scaling-sg.yaml"), c.W("scaling-kz.yaml")
        spawn(sg, o_sg)  # warm-up (page cache)
        ts, rs, tk, rk = [], [], [], []
        for r in range(max(sg_runs, kz_runs)):
            if r < sg_runs:
                t, m = spawn_rss(sg, c.work, o_sg)
                ts.append(t)
                rs.append(m)
            if r < kz_runs:
                t, m = spawn_rss(kz, c.work, o_kz)
                tk.append(t)
                rk.append(m)
        with open(o_sg, "rb") as f:
            got = f.read()
        secrets = got.count(b"kind: Secret\n")
        if secrets != n:
            sys.exit(f"scaling: secretgen printed {secrets} Secrets for {n} generators")
        same = None
        if with_kz:
            with open(o_kz, "rb") as f:
                same = f.read() == got
            if not same:
                sys.exit(f"scaling: secretgen and kustomize print other bytes at {n} x 10 x {s}")
        row = {"generators": n, "size": s, "data": data, "limit": 2 * data + 20 * MiB,
               "workload": gen_cmd(n, 10, s), "same_bytes": same,
               "secretgen": {"median": med(ts), "samples": ts, "rss": max(rs), "rss_samples": rs,
                             "cmd": f"/usr/bin/time -f %M {sg.shown(c)}"}}
        if with_kz:
            row["kustomize"] = {"median": med(tk), "samples": tk, "rss": max(rk), "rss_samples": rk,
                                "cmd": f"/usr/bin/time -f %M {kz.shown(c)}"}
        rows.append(row)
    return {"rows": rows, "kustomize_max": kz_max}


NOOP_SRC = os.path.join(HERE, "noop_plugin.c")


def noop_plugin(c):
    """The static do-nothing plugin, built from benches/noop_plugin.c: with musl-gcc when there is
    one (the C library `cargo static-release` links, which starts without glibc's CPU probe, so the
    floor is as low as a static process goes), else with cc against glibc."""
    cc = shutil.which("musl-gcc") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        sys.exit("plugin: missing a C compiler (cc) for benches/noop_plugin.c")
    libc = "musl" if cc.endswith("musl-gcc") else "glibc"
    out = c.W("noop-plugin-" + libc)
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(NOOP_SRC):
        subprocess.run([cc, "-O2", "-static", "-o", out, NOOP_SRC], check=True)
    return out, libc


def plugin_home(path, target):
    p = os.path.join(path, "secretgen.dev/v1/secretgenerator/SecretGenerator")
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if os.path.lexists(p):
        os.remove(p)
    os.symlink(target, p)
    return path


def sec_plugin(c):
    n = 20 if c.quick else 100
    runs = c.runs_or(7, 3)
    call_runs = 50 if c.quick else 200
    tree = gen(c.W(f"plugin-{n}x10x1024"), n, 10, 1024, layout="both")
    sg_home = c.W("plugin-home-secretgen")
    shutil.rmtree(sg_home, ignore_errors=True)
    output(Cmd([c.sg, "plugin", "install", "--plugin-home", sg_home]))
    noop, noop_libc = noop_plugin(c)
    noop_home = plugin_home(c.W("plugin-home-noop"), noop)
    builtin = Cmd([KUSTOMIZE, "build", tree + "/builtin"])
    # What the secretgen plugin prints for each generator, kept for the do-nothing plugin to print.
    cwd = tree + "/plugin"
    sg_plugin = os.path.join(sg_home, "secretgen.dev/v1/secretgenerator/SecretGenerator")
    fixed = c.W(f"plugin-{n}-fixed")
    os.makedirs(fixed, exist_ok=True)
    for g in sorted(os.listdir(os.path.join(cwd, "gens"))):
        with open(os.path.join(fixed, g), "wb") as f:
            f.write(output(Cmd([sg_plugin, "gens/" + g], cwd=cwd)))
    plug = ["build", "--enable-alpha-plugins", tree + "/plugin"]
    cmds = {
        "builtin": builtin,
        "secretgen": Cmd([KUSTOMIZE] + plug, {"KUSTOMIZE_PLUGIN_HOME": sg_home}),
        "fixed": Cmd([KUSTOMIZE] + plug, {"KUSTOMIZE_PLUGIN_HOME": noop_home, "NOOP_SECRETS": fixed}),
        "cat": Cmd([KUSTOMIZE] + plug, {"KUSTOMIZE_PLUGIN_HOME": noop_home}),
    }
    log(f"plugin: checking outputs on {tree}")
    want = docs(output(builtin))
    for k in ("secretgen", "fixed"):
        if docs(output(cmds[k])) != want:
            sys.exit(f"plugin: kustomize through the {k} plugin gives other Secrets than its builtin")
    cat_docs = len(docs(output(cmds["cat"])))
    if cat_docs != n:
        sys.exit(f"plugin: the do-nothing plugin gave {cat_docs} documents for {n} generators")
    log(f"plugin: {n} generators, {runs} alternating runs")
    t = alternate(cmds, runs)
    # One plugin call on its own, as kustomize makes it (config path, kustomization root as cwd).
    calls = {
        "secretgen": Cmd([sg_plugin, "gens/g00000.yaml"], cwd=cwd),
        "fixed": Cmd([noop, "gens/g00000.yaml"], {"NOOP_SECRETS": fixed}, cwd=cwd),
        "true": Cmd(["/bin/true"]),
    }
    if output(calls["secretgen"]) != output(calls["fixed"]):
        sys.exit("plugin: one secretgen call prints another Secret than the pre-rendered one")
    log(f"plugin: one call, {call_runs} alternating runs")
    tc = alternate(calls, call_runs, warmup=5)
    return {
        "generators": n, "runs": runs, "call_runs": call_runs, "workload": gen_cmd(n, 10, 1024, "both"),
        "linking": linking(c.sg), "noop_linking": linking(noop),
        "noop_libc": noop_libc,
        "rows": {k: {"median": med(v), "samples": v, "cmd": cmds[k].shown(c)} for k, v in t.items()},
        "calls": {k: {"median": med(v), "cmd": calls[k].shown(c)} for k, v in tc.items()},
    }


def sops_tree(c, n):
    """n Secret manifests (4-space YAML, as sops prints it), each SOPS-encrypted to one age key by
    the real sops, listed by one `kind: ksops` generator. plain/ keeps the plaintexts."""
    d = c.W(f"sops-{n}")
    if os.path.exists(os.path.join(d, ".done")):
        return d
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "plain"))
    subprocess.run([os.path.join(TOOLS, "age-keygen"), "-o", os.path.join(d, "key.txt")], check=True,
                   capture_output=True)
    recipient = re.search(r"age1[0-9a-z]+", open(os.path.join(d, "key.txt")).read()).group(0)
    open(os.path.join(d, "empty.sops.yaml"), "w").close()
    import random
    rng = random.Random(11)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    names = [f"s{i:04d}" for i in range(n)]
    for name in names:
        pw = "".join(rng.choice(alphabet) for _ in range(32))
        tok = "".join(rng.choice(alphabet) for _ in range(1024))
        with open(os.path.join(d, "plain", name + ".yaml"), "w") as f:
            f.write(f"apiVersion: v1\nkind: Secret\nmetadata:\n    name: {name}\n    namespace: bench\n"
                    f"type: Opaque\nstringData:\n    user: app-{name}\n    password: {pw}\n    token: {tok}\n")

    def enc(name):
        with open(os.path.join(d, name + ".enc.yaml"), "wb") as out:
            subprocess.run([SOPS, "--config", os.path.join(d, "empty.sops.yaml"), "--encrypt", "--age", recipient,
                            "--unencrypted-regex", "^(apiVersion|metadata|kind|type)$",
                            "--input-type", "yaml", "--output-type", "yaml",
                            os.path.join(d, "plain", name + ".yaml")], check=True, stdout=out)

    log(f"sops: encrypting {n} files with sops")
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        list(pool.map(enc, names))
    with open(os.path.join(d, "ksops.yaml"), "w") as f:
        f.write("apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: secrets\nfiles:\n")
        f.writelines(f"  - ./{name}.enc.yaml\n" for name in names)
    with open(os.path.join(d, "kustomization.yaml"), "w") as f:
        f.write("generators:\n  - ksops.yaml\n")
    open(os.path.join(d, ".done"), "w").close()
    return d


def sec_sops(c):
    n = 100 if c.quick else 1000
    runs = c.runs_or(3, 2)
    if not c.ksops or not os.access(c.ksops, os.X_OK):
        sys.exit("sops: missing KSOPS (--ksops PATH or KSOPS_BIN; v4.5.1 built from its tag)")
    d = sops_tree(c, n)
    key = {"SOPS_AGE_KEY_FILE": os.path.join(d, "key.txt")}
    ks_home = c.W("ksops-home")
    p = os.path.join(ks_home, "viaduct.ai/v1/ksops/ksops")
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if os.path.lexists(p):
        os.remove(p)
    os.symlink(c.ksops, p)
    sg_home = c.W("ksops-home-secretgen")
    shutil.rmtree(sg_home, ignore_errors=True)
    output(Cmd([c.sg, "plugin", "install", "--ksops", "--plugin-home", sg_home,
                "--bin-dir", c.W("ksops-home-secretgen-bin")]))
    build = [KUSTOMIZE, "build", "--enable-alpha-plugins", "--enable-exec", d]
    names = sorted(x[:-len(".enc.yaml")] for x in os.listdir(d) if x.endswith(".enc.yaml"))
    dec = [Cmd([SOPS, "--decrypt", os.path.join(d, x + ".enc.yaml")], key) for x in names]

    def sops_loop():
        t0 = time.perf_counter()
        for x in dec:
            spawn(x)
        return time.perf_counter() - t0

    cmds = {
        "secretgen": Cmd([c.sg, "render", d], key),
        "ksops": Cmd(build, dict(key, KUSTOMIZE_PLUGIN_HOME=ks_home)),
        "secretgen-ksops": Cmd(build, dict(key, KUSTOMIZE_PLUGIN_HOME=sg_home)),
        "sops": sops_loop,
    }
    log(f"sops: checking outputs on {d}")
    outs = {k: output(v) for k, v in cmds.items() if k != "sops"}
    if outs["secretgen-ksops"] != outs["ksops"]:
        sys.exit("sops: kustomize prints other bytes with secretgen in KSOPS' place than with KSOPS")
    same = outs["secretgen"] == outs["ksops"]
    if not same and docs(outs["secretgen"]) != docs(outs["ksops"]):
        sys.exit("sops: secretgen render gives other Secrets than kustomize + KSOPS")
    for x, name in list(zip(dec, names))[::10]:  # every tenth: one sops process costs 30-50 ms here
        if output(x) != open(os.path.join(d, "plain", name + ".yaml"), "rb").read():
            sys.exit(f"sops: sops --decrypt {name}.enc.yaml is not its plaintext")
    log(f"sops: {n} files, {runs} alternating runs")
    t = alternate(cmds, runs, warmup=0)  # the checks above were the warm-up
    rows = {k: {"median": med(v), "samples": v} for k, v in t.items()}
    for k in ("secretgen", "ksops", "secretgen-ksops"):
        rows[k]["cmd"] = cmds[k].shown(c)
    rows["sops"]["cmd"] = (f"for f in $W/sops-{n}/*.enc.yaml; do SOPS_AGE_KEY_FILE=$W/sops-{n}/key.txt "
                           f".tools/bin/sops --decrypt $f; done")
    return {"files": n, "runs": runs, "same_bytes": same, "rows": rows, "ksops": c.ksops.replace(c.work, "$W"),
            "secrets": outs["secretgen"].count(b"kind: Secret\n")}


def sec_sops_write(c):
    n = 100 if c.quick else 1000
    rounds = c.runs or 1
    out = c.W("sops-write.json")
    argv = [os.path.join(HERE, "sops_write.sh"), "--files", str(n), "--rounds", str(rounds), "--bin", c.sg,
            "--json", out]
    log(f"sops-write: {n} files, {rounds} alternating rounds")
    subprocess.run(argv, check=True, stdout=sys.stderr)
    r = json.load(open(out))
    r["cmd"] = f"benches/sops_write.sh --files {n} --rounds {rounds} --bin secretgen"
    return r


def sec_age(c):
    n = 100 if c.quick else 1000
    runs = c.runs_or(9, 5)
    plain = gen(c.W(f"age-plain-{n}"), n, 1, 1024, seed=7)
    enc = gen(c.W(f"age-enc-{n}"), n, 1, 1024, seed=7, enc=1.0)
    cmds = {"plain": Cmd([c.sg, "render", plain + "/builtin"]),
            "enc": Cmd([c.sg, "render", enc + "/builtin"],
                       {"SECRETGEN_AGE_IDENTITY_FILE": os.path.join(enc, "identity.txt")})}
    if output(cmds["plain"]) != output(cmds["enc"]):
        sys.exit("age: the encrypted tree renders differently from the plain one")
    log(f"age: {n} encrypted files, {runs} alternating runs")
    t = alternate(cmds, runs)
    return {"files": n, "runs": runs,
            "workloads": [f"benches/gen_workload.py $W/age-plain-{n} -n {n} -k 1 -s 1024 --seed 7 --layout builtin",
                          f"benches/gen_workload.py $W/age-enc-{n} -n {n} -k 1 -s 1024 --seed 7 --encrypted 1.0 "
                          "--layout builtin"],
            "rows": {k: {"median": med(v), "samples": v, "cmd": cmds[k].shown(c)} for k, v in t.items()}}


def sec_realworld(c):
    runs = c.runs_or(5, 3)
    out = c.W("realworld.json")
    argv = ["python3", os.path.join(HERE, "realworld.py"), "--secretgen", c.sg, "--runs", str(runs), "--json", out]
    if c.quick:
        argv += ["--only", "argo-cd/manifests/base", "--only", "lws/config/default"]
    log(f"realworld: every build of testdata/realworld/builds.tsv, {runs} alternating runs")
    subprocess.run(argv, check=True, stdout=sys.stderr)
    r = json.load(open(out))
    r["cmd"] = f"benches/realworld.sh --runs {runs}"
    return r


def sec_startup(c):
    runs = c.runs_or(300, 100)
    one = gen(c.W("one"), 1, 10, 1024)
    cmds = {"true": Cmd(["/bin/true"]), "version": Cmd([c.sg, "--version"]),
            "render_one": Cmd([c.sg, "render", one + "/builtin"])}
    log(f"startup: {runs} alternating runs")
    t = alternate(cmds, runs, warmup=10)
    return {"runs": runs, "linking": linking(c.sg),
            "rows": {k: {"median": med(v), "cmd": cmds[k].shown(c)} for k, v in t.items()}}


OVERLAYS = 10


def sec_overlays(c):
    """The main workload as one base and 10 overlays (each: its namespace and prefix, and a
    `behavior: merge` into one of the base's generators): `kubectl kustomize` once per overlay
    against one `secretgen render` of the directory holding the overlays."""
    n = 100 if c.quick else 1000
    runs = c.runs_or(3, 2)
    main_ = gen(c.W(f"gens-{n}x10x1024"), n, 10, 1024)
    out = c.W(f"overlays-{n}")
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
    log(f"overlays: checking outputs on {out}")
    want = [doc for d in dirs for doc in docs(output(Cmd(["kubectl", "kustomize", d])))]
    if sorted(want) != docs(output(Cmd([c.sg, "render", out]))):
        sys.exit("overlays: secretgen render differs from kubectl kustomize")
    log(f"overlays: 1 base + {OVERLAYS} overlays, {runs} alternating runs")
    per = [Cmd(["kubectl", "kustomize", d]) for d in dirs]
    sg = Cmd([c.sg, "render", out])
    t = alternate({"kubectl": lambda: sum(spawn(x) for x in per), "secretgen": sg}, runs, warmup=0)
    return {"generators": n, "overlays": OVERLAYS, "runs": runs,
            "rows": {"kubectl": {"median": med(t["kubectl"]), "samples": t["kubectl"],
                                 "cmd": f"for d in $W/overlays-{n}/ov*; do kubectl kustomize $d; done"},
                     "secretgen": {"median": med(t["secretgen"]), "samples": t["secretgen"],
                                   "cmd": sg.shown(c)}}}


RUN = {"main": sec_main, "scaling": sec_scaling, "realworld": sec_realworld, "plugin": sec_plugin, "sops": sec_sops,
       "sops-write": sec_sops_write, "age": sec_age, "startup": sec_startup, "overlays": sec_overlays}


def machine(c):
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    kubectl_kz = "unavailable"
    try:
        v = subprocess.run(["kubectl", "version", "--client"], capture_output=True, text=True).stdout
        m = re.search(r"Kustomize Version: (\S+)", v)
        kubectl_kz = f"{v.splitlines()[0]}, kustomize {m.group(1) if m else '?'}"
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(), "cpu": model, "mem": mem, "kernel": platform.release(),
        "secretgen": first_line([c.sg, "--version"]), "secretgen_linking": linking(c.sg),
        "secretgen_bytes": os.path.getsize(c.sg),
        "kustomize": first_line([KUSTOMIZE, "version"]), "kubectl": kubectl_kz,
        "sops": first_line([SOPS, "--version", "--disable-version-check"]),
        "ksops": c.ksops.replace(c.work, "$W") if c.ksops else None,
        "tree": tree_id(),
    }


# What this script writes in the repository (paths from its root): a section run after
# another finds them changed, which says nothing about the code measured.
REPORT, RESULTS, PLOT = "BENCHMARKS.md", "benches/results.json", "benches/scaling.svg"
OUTPUTS = (REPORT, RESULTS, PLOT)


def tree_id():
    """The commit measured, marked -dirty when a tracked file other than this script's
    outputs differs from it."""
    commit = first_line(["git", "-C", ROOT, "describe", "--always", "--abbrev=12"])
    others = [f":(exclude){o}" for o in OUTPUTS]
    try:
        same = subprocess.run(["git", "-C", ROOT, "diff", "--quiet", "HEAD", "--", ".", *others],
                              timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return commit
    return commit if same else commit + "-dirty"


# --- the report ---------------------------------------------------------------------------

def ms(x):
    if x >= 120:
        return f"{x / 60:.0f} min"
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"


def mib(x):
    return f"{x / MiB:.1f} MiB"


def ly(linkage):
    return {"static": "statically", "dynamic": "dynamically"}.get(linkage, linkage)


def ok(c):
    return "yes" if c else "**no**"


def code(s):
    return f"`{s}`"


def conditions(s):
    la, lb = s["load_start"], s["load_end"]
    return (f"Measured {s['started']} – {s['ended'][11:]} on `{s['secretgen']}` ({s['linking']} build), "
            f"load average {la[0]:.2f} / {la[1]:.2f} / {la[2]:.2f} at the start and "
            f"{lb[0]:.2f} / {lb[1]:.2f} / {lb[2]:.2f} at the end (1 / 5 / 15 min){' — **quick mode**' if s['quick'] else ''}. "
            f"Rerun: `benches/compare.sh {'--quick ' if s['quick'] else ''}--only {s['name']}`.")


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if h.startswith(">") else "---" for h in head) + "|"]
    out[0] = out[0].replace("| >", "| ")
    for r in rows:
        out.append("| " + " | ".join(str(x) for x in r) + " |")
    return "\n".join(out)


def md_main(s):
    r, o = s["rows"], s["one_core"]
    sg = r["secretgen"]["median"]
    rows = [
        ("`kubectl kustomize` (kubectl's own kustomize, see Machine)", ms(r["kubectl"]["median"]),
         f"{r['kubectl']['median'] / sg:.1f}×", code(r["kubectl"]["cmd"])),
        ("standalone kustomize v5.8.2 (`kustomize build`)", ms(r["kustomize"]["median"]),
         f"{r['kustomize']['median'] / sg:.1f}×", code(r["kustomize"]["cmd"])),
        ("**`secretgen render`**", f"**{ms(sg)}**", "1", code(r["secretgen"]["cmd"])),
        ("kustomize v5.8.2, one core", ms(o["kustomize"]["median"]),
         f"{o['kustomize']['median'] / o['secretgen']['median']:.1f}×", code(o["kustomize"]["cmd"])),
        ("`secretgen render`, one core", ms(o["secretgen"]["median"]), "1", code(o["secretgen"]["cmd"])),
    ]
    return "\n".join([
        f"{s['generators']} builtin `secretGenerator`s × {s['keys']} files × 1 KiB "
        f"({mib(s['data'])} of secret data; {s['secrets']} Secrets, {mib(s['out_bytes'])} of YAML out). "
        f"All three commands print the same bytes (checked before timing). Medians of {s['runs']} alternating "
        f"runs (A B C A B C …), {s['runs1']} on one core (`taskset -c 0` on both sides: no second core for "
        "Go's garbage collector or secretgen's parallel render).",
        "",
        table(["measure", ">median", ">time / secretgen's", "command"], rows),
        "",
        *([f"secretgen took less time pinned to one core ({ms(o['secretgen']['median'])}) than free to use "
           f"both ({ms(sg)}): under this load the second core was busy, and the parallel render's threads "
           "competed with the other builds instead of running beside them.", ""]
          if o["secretgen"]["median"] < sg else []),
        f"Workload: `{s['workload']}`. Samples (s): " + "; ".join(
            f"{k} " + ", ".join(f"{x:.3f}" for x in v["samples"]) for k, v in list(r.items()) + [
                (k + " (one core)", v) for k, v in o.items()]) + ".",
        "",
        conditions(s),
    ])


def fit_exponent(pts):
    """Slope of log(time) against log(size) through the last two points."""
    (x0, y0), (x1, y1) = pts[-2], pts[-1]
    return math.log(y1 / y0) / math.log(x1 / x0)


def md_scaling(s, svg_rel):
    rows = []
    for r in s["rows"]:
        sg, kz = r["secretgen"], r.get("kustomize")
        rows.append((
            f"{r['generators']:,} × 10 × {r['size'] // 1024} KiB", mib(r["data"]),
            ms(sg["median"]), ms(kz["median"]) if kz else "not run",
            f"{kz['median'] / sg['median']:.1f}×" if kz else "",
            mib(sg["rss"]), mib(kz["rss"]) if kz else "", mib(r["limit"]),
            f"{ok(sg['rss'] <= r['limit'])}" + (f" / {ok(kz['rss'] <= r['limit'])}" if kz else " / –"),
            code(sg["cmd"]) + (" and " + code(kz["cmd"]) if kz else ""),
        ))
    kz_pts = [(r["generators"], r["kustomize"]["median"]) for r in s["rows"] if "kustomize" in r and r["size"] == 1024]
    sg_pts = [(r["generators"], r["secretgen"]["median"]) for r in s["rows"] if r["size"] == 1024]
    notes = []
    if len(kz_pts) >= 2 and len(sg_pts) >= 2:
        ek, es = fit_exponent(kz_pts), fit_exponent(sg_pts[:len(kz_pts)])
        biggest = max(r["generators"] for r in s["rows"])
        est = kz_pts[-1][1] * (biggest / kz_pts[-1][0]) ** ek
        notes.append(
            f"Between the two largest sizes kustomize ran at, its time grows as size^{ek:.2f} (secretgen's as "
            f"size^{es:.2f}); at {biggest:,} generators it would take about {ms(est)} by that exponent, so it is "
            f"run only up to {s['kustomize_max']:,} generators.")
    notes.append("Runs per size (secretgen / kustomize): " + ", ".join(
        f"{r['generators']:,}×{r['size'] // 1024} KiB {len(r['secretgen']['samples'])}/"
        f"{len(r['kustomize']['samples']) if 'kustomize' in r else 0}" for r in s["rows"]) + ".")
    return "\n".join([
        "Builtin `secretGenerator`s × 10 files, 1 KiB values, and one row of 10 KiB values (about 100 MB of "
        "secret data). Each run is under `/usr/bin/time -f %M` (its peak RSS, the largest of the runs is shown); "
        "time is the median of the runs (secretgen's and kustomize's alternating); at every size where both "
        "ran they print the same bytes (checked). The memory check is peak RSS ≤ 2 × secret data + 20 MiB "
        "(secretgen / kustomize).",
        "",
        table(["workload", ">secret data", ">secretgen", ">kustomize v5.8.2", ">ratio", ">secretgen peak RSS",
               ">kustomize peak RSS", ">limit", "within limit", "command"], rows),
        "",
        *([" ".join(notes), ""] if notes else []),
        f"![time against secret data, log-log]({svg_rel})",
        "",
        "Workloads: `benches/gen_workload.py $W/gens-Nx10xS -n N -k 10 -s S --layout builtin`"
        + " (N, S as in the table).",
        "",
        conditions(s),
    ])


def md_plugin(s):
    r, c = s["rows"], s["calls"]
    n = s["generators"]
    b = r["builtin"]["median"]
    per = lambda k: (r[k]["median"] - b) / n * 1000  # noqa: E731
    rows = [
        ("builtin `secretGenerator`", ms(b), "", code(r["builtin"]["cmd"])),
        ("secretgen as the exec plugin", ms(r["secretgen"]["median"]), f"{per('secretgen'):+.2f} ms",
         code(r["secretgen"]["cmd"])),
        ("static do-nothing plugin printing the same Secrets, pre-rendered", ms(r["fixed"]["median"]),
         f"{per('fixed'):+.2f} ms", code(r["fixed"]["cmd"])),
        ("static do-nothing plugin printing its config back (`cat`)", ms(r["cat"]["median"]),
         f"{per('cat'):+.2f} ms", code(r["cat"]["cmd"])),
    ]
    own = (r["secretgen"]["median"] - r["fixed"]["median"]) / n * 1000
    crow = [
        ("secretgen, one plugin call", ms(c["secretgen"]["median"]), code(c["secretgen"]["cmd"])),
        ("the static do-nothing plugin, one call (same Secret)", ms(c["fixed"]["median"]), code(c["fixed"]["cmd"])),
        ("`/bin/true`", ms(c["true"]["median"]), code(c["true"]["cmd"])),
    ]
    return "\n".join([
        f"kustomize v5.8.2 building {n} generators × 10 files × 1 KiB, once with its builtin generator and "
        "three times through a legacy exec plugin (`--enable-alpha-plugins`, one process per generator): "
        f"secretgen, and `benches/noop_plugin.c` (a C binary, {ly(s['noop_linking'])} linked"
        + (f" with {s['noop_libc']}" if s.get("noop_libc") else "") + ") that prints "
        "either the Secret secretgen would print, rendered beforehand (the floor: kustomize's exec machinery "
        "and parsing the same output), or its config back. The secretgen binary measured is "
        f"**{ly(s['linking'])} linked** "
        + ("(`cargo build --release`; the shipped build is `cargo static-release`, see .cargo/config.toml: "
           "`benches/compare.sh --static --only plugin` measures it)." if s["linking"] == "dynamic" else
           "(`cargo static-release`, see .cargo/config.toml).")
        + f" Outputs checked: the builtin, secretgen and the pre-rendered plugin give the same Secrets. "
        f"Medians of {s['runs']} alternating runs.",
        "",
        table(["kustomize build", ">median", ">per generator over the builtin", "command"], rows),
        "",
        f"**secretgen's own cost per generator**, over the do-nothing plugin printing the same bytes: "
        f"**{own:.2f} ms** (process start included). kustomize with the do-nothing plugin against its builtin: "
        f"{per('fixed'):+.2f} ms per generator, which is kustomize's exec machinery and its parsing of the "
        "plugin's output less the builtin generator's own work"
        + (" (negative: the builtin costs kustomize more than starting a static process and reading what it "
           "prints)." if per("fixed") < 0 else ".")
        + f" With the plugin printing only its config back, {per('cat'):+.2f} ms: most of the floor is "
        "kustomize reading the 14 KB Secret each call prints.",
        "",
        f"One call on its own, as kustomize makes it (config path as the argument, the kustomization root as "
        f"working directory), medians of {s['call_runs']} alternating runs:",
        "",
        table(["call", ">median", "command"], crow),
        "",
        f"Workload: `{s['workload']}`.",
        "",
        conditions(s),
    ])


def md_sops(s):
    r = s["rows"]
    n = s["files"]
    sg = r["secretgen"]["median"]
    per = lambda k: r[k]["median"] / n * 1000  # noqa: E731
    rows = [
        ("**`secretgen render`** of the tree", f"**{ms(sg)}**", f"{per('secretgen'):.3f} ms", "1",
         code(r["secretgen"]["cmd"])),
        ("`sops --decrypt`, one process per file", ms(r["sops"]["median"]), f"{per('sops'):.3f} ms",
         f"{r['sops']['median'] / sg:.1f}×", code(r["sops"]["cmd"])),
        ("kustomize v5.8.2 + KSOPS v4.5.1 (exec plugin)", ms(r["ksops"]["median"]), f"{per('ksops'):.3f} ms",
         f"{r['ksops']['median'] / sg:.1f}×", code(r["ksops"]["cmd"])),
        ("kustomize v5.8.2 + secretgen in KSOPS' place", ms(r["secretgen-ksops"]["median"]),
         f"{per('secretgen-ksops'):.3f} ms", f"{r['secretgen-ksops']['median'] / sg:.1f}×",
         code(r["secretgen-ksops"]["cmd"])),
    ]
    same = ("print the same bytes" if s["same_bytes"] else "give the same Secrets (in another order)")
    return "\n".join([
        f"{n} Secret manifests (a 32-character password and a 1 KiB token each), each SOPS-encrypted by "
        f"sops 3.13.3 to one age recipient (`--unencrypted-regex '^(apiVersion|metadata|kind|type)$'`), "
        f"listed under `files:` by one `kind: ksops` generator (`$W/sops-{n}/ksops.yaml`). "
        f"`secretgen render` and kustomize with KSOPS {same}; kustomize prints the same bytes with "
        "secretgen in KSOPS' place as with KSOPS; `sops --decrypt` of every tenth file gives back its plaintext "
        f"(all checked before timing). Medians of {s['runs']} alternating runs.",
        "",
        table(["measure", ">median", ">per file", ">time / secretgen's", "command"], rows),
        "",
        f"Inside the same kustomize build, KSOPS takes {r['ksops']['median'] / r['secretgen-ksops']['median']:.1f}× "
        "the time secretgen takes in its place; the rest of either build is kustomize's own (one plugin "
        f"call for the {n} files, then reading the {s['secrets']} Secrets it prints).",
        "",
        f"KSOPS: `{s['ksops']}`. The tree is made by `sops_tree()` in benches/compare.py (seeded; the "
        "ciphertext differs per run of it, the plaintext does not).",
        "",
        conditions(s),
    ])


def md_sops_write(s):
    n = s["files"]
    rows = []
    for op in ("encrypt", "edit"):
        a, b = s[op]["secretgen"], s[op]["sops"]
        rows.append((f"`{op}`", f"{a:.2f} s ({a / n * 1000:.2f} ms/file)", f"{b:.2f} s ({b / n * 1000:.2f} ms/file)",
                     f"{b / a:.1f}×", f"{a / b:.3f}"))
    return "\n".join([
        f"`encrypt` and `edit` of {n} small Secret manifests (age recipient), one process per file as a "
        "user or a script runs them, secretgen against sops 3.13.3 on the same files; `edit` with a "
        "non-interactive `EDITOR` changing one value, under a pseudo-terminal (`script`) for both. "
        + (f"Medians of {s['rounds']} alternating rounds (the order swaps each round)" if s["rounds"] > 1 else
           "One round, secretgen's loop first (`--rounds N` alternates the order)")
        + "; sops decrypts every tenth file secretgen wrote to what it decrypts its own to (checked).",
        "",
        table(["operation", ">secretgen", ">sops 3.13.3", ">sops / secretgen", ">secretgen / sops"], rows),
        "",
        f"Command: `{s['cmd']}`.",
        "",
        conditions(s),
    ])


def md_age(s):
    r, n = s["rows"], s["files"]
    per = (r["enc"]["median"] - r["plain"]["median"]) / n * 1000
    rows = [
        (f"`secretgen render`, {n} files × 1 KiB, plain", ms(r["plain"]["median"]), code(r["plain"]["cmd"])),
        ("the same files age-encrypted (X25519)", ms(r["enc"]["median"]), code(r["enc"]["cmd"])),
        ("**age cost per encrypted file**", f"**{per:.3f} ms**", ""),
    ]
    return "\n".join([
        f"Medians of {s['runs']} alternating runs; both trees render to the same bytes (checked).",
        "",
        table(["measure", ">median", "command"], rows),
        "",
        "Workloads: " + ", ".join(f"`{w}`" for w in s["workloads"]) + ".",
        "",
        conditions(s),
    ])


def order_effect(s):
    """What the run measured of a run's dependence on the one before it, as a sentence."""
    o = s.get("order_effect")
    if not o:
        return ""
    return (f" On the lowest build (`{o['build']}`), medians of {s['runs']} runs right after another: "
            f"secretgen {ms(o['S after S'])} after itself and {ms(o['S after K'])} after kustomize; "
            f"kustomize {ms(o['K after K'])} after itself and {ms(o['K after S'])} after secretgen.")


def md_realworld(s):
    b = s["builds"]
    ratio = lambda x: x["kustomize"] / x["secretgen"]
    cpu_ratio = lambda x: x["cpu_kustomize"] / max(x["cpu_secretgen"], 1e-4)
    b = sorted(b, key=ratio)
    at10 = sum(ratio(x) >= 10 for x in b)
    big = sorted(b, key=lambda x: -x["kustomize"])[:5]
    row = lambda x: (code(x["build"]), ms(x["secretgen"]), ms(x["kustomize"]), f"{ratio(x):.1f}×",
                     f"{cpu_ratio(x):.1f}×")
    head = ["build", ">secretgen", ">kustomize v5.8.2", ">ratio (wall)", ">ratio (CPU)"]
    return "\n".join([
        f"`secretgen render` against `kustomize build` on every build of the real-world corpus "
        f"(`testdata/realworld/builds.tsv`: {len(b)} builds of public repositories, trees fetched by "
        f"`tests/setup.sh`; same flags, same Secrets: `cargo test --test cases -- realworld::`). Medians of "
        f"{s['runs']} alternating runs per build, taken round the builds (every build's first pair, then "
        f"every build's second, …), wall and CPU (user + system) time. Every run follows one of the other "
        f"tool's.{order_effect(s)}",
        "",
        f"**{at10} of {len(b)} builds at ≥ 10×**; the lowest ratio is **{ratio(b[0]):.1f}×** "
        f"(`{b[0]['build']}`).",
        "",
        "The lowest ratios:",
        "",
        table(head, [row(x) for x in b[:8]]),
        "",
        "The builds kustomize takes longest on:",
        "",
        table(head, [row(x) for x in big]),
        "",
        f"Command: `{s['cmd']}` (`SECRETGEN=path` to time a given binary).",
        "",
        conditions(s),
    ])


def md_startup(s):
    r = s["rows"]
    rows = [("`/bin/true` (the floor of any process start)", ms(r["true"]["median"]), code(r["true"]["cmd"])),
            ("`secretgen --version`", ms(r["version"]["median"]), code(r["version"]["cmd"])),
            ("one-generator render (10 keys × 1 KiB)", ms(r["render_one"]["median"]), code(r["render_one"]["cmd"]))]
    return "\n".join([
        f"posix_spawn from Python, no shell, medians of {s['runs']} alternating runs; {ly(s['linking'])} "
        "linked binary.",
        "",
        table(["measure", ">median", "command"], rows),
        "",
        "Workload: `benches/gen_workload.py $W/one -n 1 -k 10 -s 1024 --layout builtin`.",
        "",
        conditions(s),
    ])


def md_overlays(s):
    r = s["rows"]
    rows = [(f"`kubectl kustomize` once per overlay, 1 base + {s['overlays']} overlays", ms(r["kubectl"]["median"]),
             code(r["kubectl"]["cmd"])),
            ("`secretgen render` of the overlays' directory (all trees, one run)", ms(r["secretgen"]["median"]),
             code(r["secretgen"]["cmd"])),
            ("speed-up", f"{r['kubectl']['median'] / r['secretgen']['median']:.1f}×", "")]
    return "\n".join([
        f"The main workload ({s['generators']} generators) as a base, included by {s['overlays']} overlays (each "
        "its own `namespace`, `namePrefix`, a `labels` entry and a `behavior: merge` into `g00000`); the "
        f"Secret documents are the same (checked). Medians of {s['runs']} alternating runs.",
        "",
        table(["measure", ">median", "command"], rows),
        "",
        conditions(s),
    ])


TITLES = {
    "main": ("Main workload: secretgen against kustomize", md_main),
    "scaling": ("Scaling: time and peak memory against size", None),
    "realworld": ("Real-world trees: secretgen against kustomize", md_realworld),
    "plugin": ("The exec plugin inside kustomize", md_plugin),
    "sops": ("SOPS files: secretgen against sops and KSOPS", md_sops),
    "sops-write": ("Writing SOPS files: encrypt and edit against sops", md_sops_write),
    "age": ("age-encrypted inputs", md_age),
    "startup": ("Start-up", md_startup),
    "overlays": ("Base and overlays", md_overlays),
}


def report(res, svg_rel, quick):
    m = res.get("machine", {})
    loads = [(s["load_start"], s["load_end"]) for s in res["sections"].values()]
    lines = [
        "# Benchmarks",
        "",
        "<!-- Written by benches/compare.sh from benches/results.json: do not edit by hand, rerun it. -->",
        "",
        "secretgen against `kubectl kustomize`, the standalone kustomize v5.8.2, sops 3.13.3 and KSOPS v4.5.1 "
        "on the same generated inputs. Every figure below was measured by `benches/compare.sh` (the whole "
        "set, about 15 minutes on 2 busy cores) or one of its sections alone (`benches/compare.sh --only NAME`); rows are "
        "medians of alternating runs, outputs are compared before anything is timed, and each row gives the "
        "command it times. `$W` is the work directory (`--work`, default `/tmp/secretgen-bench`, where the "
        "generated trees are kept between runs), `secretgen` the binary measured, paths are relative to the "
        "repository root.",
        "",
        "## Machine and load",
        "",
        f"- {m.get('nproc')} CPUs (`nproc`), `{m.get('cpu')}`, {m.get('mem', 0) / 2**30:.0f} GiB RAM, "
        f"Linux {m.get('kernel')}.",
        f"- secretgen: `{m.get('secretgen')}`, {ly(m.get('secretgen_linking'))} linked, "
        f"{m.get('secretgen_bytes', 0) / 1e6:.1f} MB; measured from the tree `{m.get('tree')}`.",
        f"- kustomize `{m.get('kustomize')}` (`.tools/bin/kustomize`); kubectl: `{m.get('kubectl')}`; "
        f"`{m.get('sops')}` (`.tools/bin/sops`); KSOPS v4.5.1 at `{m.get('ksops')}`.",
    ]
    if loads:
        lo = min(min(a[0], b[0]) for a, b in loads)
        hi = max(max(a[0], b[0]) for a, b in loads)
        lines.append(
            f"- **Load**: 1-minute load average between {lo:.2f} and {hi:.2f} at the sections' starts and ends "
            f"(each section gives its own). Other builds shared the {m.get('nproc')} cores: absolute times are "
            "higher and noisier than on a quiet machine; the alternating runs put the load on every command "
            "alike, so compare within a row and read the ratios.")
    lr = res.get("last_run")
    if lr:
        lines.append(f"- The last run (`--only {','.join(lr['sections'])}`, ended {lr['ended']}) took "
                     f"{lr['seconds'] / 60:.1f} minutes, generated workloads already in `$W` or not.")
    if quick:
        lines.append("- **Quick mode** (`--quick`): small workloads and few runs, a smoke test, not figures.")
    lines.append("")
    for name in SECTIONS:
        s = res["sections"].get(name)
        if not s:
            continue
        title, fn = TITLES[name]
        lines += [f"## {title}", "", md_scaling(s, svg_rel) if name == "scaling" else fn(s), ""]
    missing = [n for n in SECTIONS if n not in res["sections"]]
    if missing:
        lines += ["## Not measured in this file", "",
                  "Sections not run for these results: " + ", ".join(f"`{n}`" for n in missing)
                  + " (`benches/compare.sh --only NAME`).", ""]
    lines += [
        "## Reproduce",
        "",
        "```sh",
        "benches/compare.sh                  # every section but overlays (about 15 minutes), writes this file",
        "benches/compare.sh --only scaling   # one section (main, scaling, plugin, sops, sops-write, age,",
        "                                    # startup, overlays); the others stay as they were measured",
        "benches/compare.sh --quick          # small smoke run into $W/quick/, the repository untouched",
        "benches/compare.sh --static         # measure the `cargo static-release` binary instead",
        "benches/compare.sh --report-only    # rewrite this file and the plot from benches/results.json",
        "```",
        "",
        "Needs kubectl, `.tools/bin/{kustomize,sops,age,age-keygen}` (tests/setup.sh), KSOPS v4.5.1 for the "
        "`sops` section (`--ksops PATH` or `KSOPS_BIN`, default `/tmp/ksops-bin/ksops`), a C compiler with a "
        "static libc for the do-nothing plugin, `taskset`, `/usr/bin/time`, `script` and python3. "
        "Other scripts: `benches/ksops.sh` (N `kind: ksops` generators, 3 SOPS files each, with KSOPS and "
        "with secretgen), `benches/sops_cost.sh`, `benches/sops_keytypes.sh`, `benches/ab.py` (two binaries "
        "side by side), `cargo bench --bench hot_paths` (criterion).",
        "",
        "## Earlier measurements",
        "",
        "[benches/HISTORY.md](benches/HISTORY.md) keeps what this file said before the script wrote it: the "
        "micro-benchmarks (criterion), post-quantum age decryption against X25519 (about 1.8×), the statically "
        "linked build against the dynamic one (`benches/ab.py`), `benches/ksops.sh` at 1, 20 and 200 "
        "generators, and what was optimised and what limits the rest. Those figures are of earlier commits.",
        "",
    ]
    return "\n".join(lines)


def svg(scaling):
    """Time against secret data, log-log, one line per tool (1 KiB values) and hollow markers for
    the 10 KiB-value rows. Plain SVG, no plotting library."""
    rows = scaling["rows"]
    series = {"secretgen render": ("secretgen", "#1f77b4"), "kustomize v5.8.2 build": ("kustomize", "#d62728")}
    pts = [(r["data"], r[k]["median"]) for r in rows for k in ("secretgen", "kustomize") if k in r]
    # Axes a little wider than the points, grid lines at 1..9 x 10^k, labels at 1, 2 and 5.
    x0, x1 = min(p[0] for p in pts) / MiB / 1.6, max(p[0] for p in pts) / MiB * 1.6
    y0, y1 = min(p[1] for p in pts) / 1.6, max(p[1] for p in pts) * 1.6
    W, H, L, R, T, B = 640, 420, 70, 24, 30, 55
    X = lambda v: L + (math.log10(v / MiB) - math.log10(x0)) / (math.log10(x1) - math.log10(x0)) * (W - L - R)  # noqa
    Y = lambda v: H - B - (math.log10(v) - math.log10(y0)) / (math.log10(y1) - math.log10(y0)) * (H - T - B)  # noqa
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
         'font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W / 2}" y="18" text-anchor="middle" font-size="14">Render time against secret data '
         '(log-log)</text>',
         f'<text x="{W - R - 6}" y="{H - B - 8}" text-anchor="end" font-size="10" fill="#555">numbers: '
         'generators</text>']

    def label(v, unit):
        if unit == "s":
            return f"{v * 1000:g} ms" if v < 1 else f"{v:g} s"
        return f"{v:g} MiB"

    def ticks(lo, hi):
        for d in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
            for k in range(1, 10):
                v = k * 10.0 ** d
                if lo <= v <= hi:
                    yield round(v, 6), k
    for v, k in ticks(x0, x1):
        x = X(v * MiB)
        o.append(f'<line x1="{x:.1f}" y1="{T}" x2="{x:.1f}" y2="{H - B}" stroke="{"#bbb" if k == 1 else "#eee"}"/>')
        if k in (1, 2, 5):
            o.append(f'<text x="{x:.1f}" y="{H - B + 16}" text-anchor="middle">{label(v, "MiB")}</text>')
    for v, k in ticks(y0, y1):
        y = Y(v)
        o.append(f'<line x1="{L}" y1="{y:.1f}" x2="{W - R}" y2="{y:.1f}" stroke="{"#bbb" if k == 1 else "#eee"}"/>')
        if k in (1, 2, 5):
            o.append(f'<text x="{L - 6}" y="{y + 4:.1f}" text-anchor="end">{label(v, "s")}</text>')
    o.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" stroke="#333"/>')
    o.append(f'<text x="{(L + W - R) / 2}" y="{H - 18}" text-anchor="middle">secret data (generators × 10 '
             'files; 1 KiB values on the lines, 10 KiB values hollow)</text>')
    o.append(f'<text x="16" y="{(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 '
             f'{(T + H - B) / 2})">wall time, median</text>')
    for i, (name, (key, colour)) in enumerate(series.items()):
        line = [(r["data"], r[key]["median"], r["generators"]) for r in rows if key in r and r["size"] == 1024]
        if line:
            o.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                     + " ".join(f"{X(a):.1f},{Y(b):.1f}" for a, b, _ in line) + '"/>')
        for a, b, n in line:
            o.append(f'<circle cx="{X(a):.1f}" cy="{Y(b):.1f}" r="4" fill="{colour}"><title>{name}: {n} '
                     f'generators × 10 × 1 KiB, {ms(b)}</title></circle>')
            dy = -9 if key == "kustomize" else 17
            o.append(f'<text x="{X(a):.1f}" y="{Y(b) + dy:.1f}" text-anchor="middle" font-size="10" '
                     f'fill="{colour}">{n:,}</text>')
        for r in rows:
            if key in r and r["size"] != 1024:
                o.append(f'<circle cx="{X(r["data"]):.1f}" cy="{Y(r[key]["median"]):.1f}" r="5" fill="white" '
                         f'stroke="{colour}" stroke-width="2"><title>{name}: {r["generators"]} generators × 10 × '
                         f'{r["size"] // 1024} KiB, {ms(r[key]["median"])}</title></circle>')
        ly = T + 16 + i * 18
        o.append(f'<line x1="{L + 12}" y1="{ly - 4}" x2="{L + 36}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"/>')
        o.append(f'<text x="{L + 42}" y="{ly}">{name}</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--secretgen", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", help="comma-separated sections: " + ", ".join(SECTIONS))
    p.add_argument("--runs", type=int, help="alternating runs per row (overrides each section's default)")
    p.add_argument("--ksops", default=os.environ.get("KSOPS_BIN", "/tmp/ksops-bin/ksops"))
    p.add_argument("--results", help="results file (default benches/results.json; WORK/quick/ with --quick)")
    p.add_argument("--out", help="Markdown report (default BENCHMARKS.md; WORK/quick/ with --quick)")
    p.add_argument("--report-only", action="store_true", help="rewrite the report from the results file")
    a = p.parse_args()

    c = Ctx(a)
    qdir = c.W("quick")
    home = (lambda rel: os.path.join(qdir, os.path.basename(rel))) if a.quick else \
        (lambda rel: os.path.join(ROOT, rel))
    results = a.results or home(RESULTS)
    out = a.out or home(REPORT)
    svg_path = os.path.join(os.path.dirname(os.path.abspath(out)), os.path.basename(PLOT)) if a.quick \
        else home(PLOT)
    os.makedirs(os.path.dirname(os.path.abspath(results)), exist_ok=True)
    res = {"sections": {}}
    if os.path.exists(results):
        res = json.load(open(results))
    if not a.report_only:
        only = a.only.split(",") if a.only else DEFAULT
        for s in only:
            if s not in RUN:
                sys.exit(f"unknown section {s!r}; sections: {', '.join(SECTIONS)}")
        if "sops" in only and not (c.ksops and os.access(c.ksops, os.X_OK)):
            sys.exit(f"missing KSOPS at {c.ksops} for the sops section (--ksops PATH or KSOPS_BIN; v4.5.1 built "
                     "from its tag), or leave the section out: --only main,scaling,plugin,sops-write,age,startup")
        t0 = time.time()
        res["machine"] = machine(c)
        for name in only:
            started, la = now(), loadavg()
            s0 = time.time()
            r = RUN[name](c)
            r.update(name=name, started=started, ended=now(), load_start=la, load_end=loadavg(),
                     seconds=time.time() - s0, quick=c.quick, secretgen=res["machine"]["secretgen"],
                     linking=linking(c.sg))
            res["sections"][name] = r
            log(f"{name}: done in {r['seconds']:.0f} s")
            with open(results, "w") as f:  # after every section: an interrupted run keeps what it measured
                json.dump(res, f, indent=1)
                f.write("\n")
        log(f"all done in {time.time() - t0:.0f} s")
        res["last_run"] = {"sections": only, "seconds": time.time() - t0, "ended": now(), "quick": c.quick}
        with open(results, "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
    if "scaling" in res["sections"]:
        with open(svg_path, "w") as f:
            f.write(svg(res["sections"]["scaling"]))
    svg_rel = os.path.relpath(svg_path, os.path.dirname(os.path.abspath(out)))
    with open(out, "w") as f:
        f.write(report(res, svg_rel, a.quick))
    log(f"wrote {out}" + (f" and {svg_path}" if "scaling" in res["sections"] else ""))


if __name__ == "__main__":
    main()
