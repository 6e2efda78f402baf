#!/usr/bin/env python3
"""Write a synthetic secretGenerator workload, deterministic by seed.

    benches/gen_workload.py OUT --generators 1000 --keys 10 --size 1024 [--encrypted 0.5]

OUT/builtin/kustomization.yaml  kustomize's builtin `secretGenerator` entries g00000..,
                                K `files` each (data/gNNNNN/kMM), S random bytes per value
OUT/plugin/kustomization.yaml   the same generators as secretgen.dev/v1 configs under
                                `generators:` (gens/gNNNNN.yaml), for the exec plugin; its
                                data files are hard links to the builtin ones
OUT/identity.txt                the age identity, when some values are encrypted

Values are printable ASCII drawn from random.Random(seed), so the same arguments always give
the same plaintext (and so the same Secrets and suffixes). With --encrypted F, a share F of
the value files (chosen by the same seed) is encrypted with the Go `age` CLI to the identity's
recipient and named kMM.age (the key name stays kMM); age ciphertext is randomized, the
rendered Secrets are not. kubectl kustomize cannot read the encrypted files; secretgen can.
"""

import argparse
import concurrent.futures
import os
import random
import shutil
import subprocess
import sys

# Random bytes mapped onto printable ASCII without space (94 symbols).
PRINTABLE = bytes(0x21 + b % 94 for b in range(256))


def value(rng, size):
    return rng.randbytes(size).translate(PRINTABLE)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--generators", "-n", type=int, default=1000)
    p.add_argument("--keys", "-k", type=int, default=10)
    p.add_argument("--size", "-s", type=int, default=1024, help="bytes per value")
    p.add_argument("--encrypted", type=float, default=0.0, help="share of values age-encrypted (0..1)")
    p.add_argument("--identity", help="age identity file to encrypt to (default: a new OUT/identity.txt)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--layout", choices=["builtin", "plugin", "both"], default="both")
    a = p.parse_args()

    rng = random.Random(a.seed)
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    builtin = os.path.join(a.out, "builtin")
    plugin = os.path.join(a.out, "plugin")
    os.makedirs(builtin)

    # One stream of random numbers: values first, then the choice of encrypted files, so
    # that the same seed gives the same plaintext whatever the encrypted share.
    gens = []
    for g in range(a.generators):
        name = f"g{g:05d}"
        d = os.path.join(builtin, "data", name)
        os.makedirs(d)
        files = []
        for k in range(a.keys):
            path = os.path.join(d, f"k{k:02d}")
            with open(path, "wb") as f:
                f.write(value(rng, a.size))
            files.append(f"data/{name}/k{k:02d}")
        gens.append((name, files))

    all_files = [(gi, fi) for gi in range(len(gens)) for fi in range(len(gens[gi][1]))]
    n_enc = round(a.encrypted * len(all_files))
    enc = sorted(rng.sample(all_files, n_enc)) if n_enc else []
    if enc:
        identity = a.identity or os.path.join(a.out, "identity.txt")
        if not a.identity:
            subprocess.run(["age-keygen", "-o", identity], check=True, capture_output=True)
        recipient = subprocess.run(
            ["age-keygen", "-y", identity], check=True, capture_output=True, text=True
        ).stdout.strip()

        def encrypt(gf):
            gi, fi = gf
            rel = gens[gi][1][fi]
            src = os.path.join(builtin, rel)
            subprocess.run(["age", "-r", recipient, "-o", src + ".age", src], check=True)
            os.remove(src)
            gens[gi][1][fi] = rel + ".age"

        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            list(pool.map(encrypt, enc))

    lines = ["secretGenerator:\n"]
    for name, files in gens:
        lines.append(f"- name: {name}\n  files:\n")
        lines.extend(f"  - {f}\n" for f in files)
    with open(os.path.join(builtin, "kustomization.yaml"), "w") as f:
        f.writelines(lines)

    if a.layout in ("plugin", "both"):
        for root, _, names in os.walk(os.path.join(builtin, "data")):
            to = os.path.join(plugin, os.path.relpath(root, builtin))
            os.makedirs(to, exist_ok=True)
            for n in names:
                os.link(os.path.join(root, n), os.path.join(to, n))
        os.makedirs(os.path.join(plugin, "gens"))
        for name, files in gens:
            with open(os.path.join(plugin, "gens", name + ".yaml"), "w") as f:
                f.write(
                    "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\n"
                    f"metadata:\n  name: {name}\nfiles:\n"
                )
                f.writelines(f"- {x}\n" for x in files)
        with open(os.path.join(plugin, "kustomization.yaml"), "w") as f:
            f.write("generators:\n")
            f.writelines(f"- gens/{name}.yaml\n" for name, _ in gens)
    if a.layout == "plugin":
        shutil.rmtree(builtin)

    total = a.generators * a.keys * a.size
    print(
        f"{a.out}: {a.generators} generators x {a.keys} keys x {a.size} B = {total} B, "
        f"{len(enc)} files encrypted, seed {a.seed}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
