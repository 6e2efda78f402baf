#!/usr/bin/env python3
"""Records the SOPS differential corpus with the real sops (3.13.x).

For each format (YAML, JSON, INI, dotenv, binary) it generates random documents from a fixed
seed, encrypts each with `sops encrypt` under options spread across the documents (the
encrypted/unencrypted regexes and suffixes, --mac-only-encrypted, the comment regexes, key
groups with a Shamir threshold from a .sops.yaml), and records what `sops decrypt` prints for
the encrypted file: its exact bytes, or that it fails (sops cannot always decrypt what it
wrote). tests/integration/sops_differential.rs replays the corpus without sops.

Output: <format>.json.gz beside this script, a JSON list of
  {"name": "...", "options": [...], "encrypted": "<file sops wrote>",
   "expected": "<base64 of sops decrypt's stdout>" | null}
Documents sops refuses to encrypt are left out (the count is printed).

Usage: testdata/sops-differential/record.py [--count N] [--seed S] [--jobs J]
(finds sops in .tools/bin or on PATH; the keys in keys/ are test keys made once and kept).
"""

import argparse
import base64
import gzip
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
KEYS = [os.path.join(HERE, "keys", f"age{i}.txt") for i in (1, 2, 3)]
FORMATS = ["yaml", "json", "ini", "dotenv", "binary"]
EXT = {"yaml": "yaml", "json": "json", "ini": "ini", "dotenv": "env", "binary": "bin"}


def recipient(path):
    with open(path) as f:
        for line in f:
            if line.startswith("# public key: "):
                return line.split()[-1]
    raise SystemExit(f"no public key in {path}")


# ---------------------------------------------------------------- words and scalars

WORDS = [
    "a", "b", "user", "password", "token", "host", "port", "data", "name", "value",
    "apiVersion", "kind", "metadata", "stringData", "x", "key", "db", "url", "id", "list",
]
SUFFIXES = ["", "", "", "_secret", "_unencrypted", "_enc", "_plain"]
ODD_KEYS = [
    "with space", "dash-key", "dot.key", "UPPER", "ünïcödé", "k#hash", "k:colon",
    "yes", "no", "null", "true", "123", "1.5", "on", "~", "-lead", "@at", "%pct", "",
]
# YAML scalars, as written in a document (plain, quoted, or special).
YAML_SCALARS = [
    "plain", "two words", "1", "0", "-1", "007", "0x1F", "0o17", "0b101", "+12", "1_000",
    "1.0", "-0.0", "0.1", ".5", "1e100", "1E-7", "6.02e+23", ".inf", "-.inf", ".nan", ".NaN",
    "true", "false", "True", "FALSE", "yes", "no", "on", "off", "y", "n", "null", "~", "Null",
    "", "2024-06-01", "2024-06-01T10:20:30Z", "2024-06-01 10:20:30.5 +02:00", "1:20",
    "'single'", "'it''s'", "''", '""', '"double"', '"tab\\there"', '"nl\\nline"', '"\\u00e9t\\u00e9"',
    '"bell\\u0007"', '"nel\\u0085"', '"bom\\ufeff"', '"emoji \\U0001F511"', '"trailing   "',
    '"  leading"', '"a: b"', '"# not comment"', '"- dash"', '"*star"', '"&amp"', '"!bang"',
    '"%pct"', '"@at"', '"`tick"', '"{brace"', '"[bracket"', '"quote \\" inside"', '"back \\\\ slash"',
    '"crlf\\r\\nx"', '"ends with:"', '"?"', '"-"', '"0777"', '"12345678901234567890"',
    '"aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee ffffffffff gggggggggg hhhhhhhhhh"',
    "123456789012345678901234567890", "1.7976931348623157e308",
    "4.9e-324", "0.1000000000000000055511151231257827", "3.14159265358979323846",
    "http://example.com/a?b=c", "key=value", "a,b", "é", "日本語", "🔑",
    "!!str 123", "!!str true", "!!float 1", "!!null ''", "!!str", "!custom tagged",
    "!!binary aGVsbG8=", "!<tag:yaml.org,2002:str> full", "!local 7",
]
BLOCK_SCALARS = [
    "|\n{i}line one\n{i}line two\n",
    "|-\n{i}stripped\n{i}end\n",
    "|+\n{i}kept\n\n",
    ">\n{i}folded one\n{i}folded two\n\n{i}para\n",
    ">-\n{i}folded strip\n",
    "|2\n{i}  indented\n{i}text\n",
    "|\n{i}trailing space \n{i}\ttab\n",
]


def key(rng, fmt):
    if rng.random() < 0.15 and fmt in ("yaml", "json"):
        k = rng.choice(ODD_KEYS)
    else:
        k = rng.choice(WORDS) + (str(rng.randrange(10)) if rng.random() < 0.3 else "")
    return k + rng.choice(SUFFIXES)


# ---------------------------------------------------------------- YAML


def yaml_key(rng, used):
    for _ in range(20):
        k = key(rng, "yaml")
        if k not in used:
            used.add(k)
            break
    else:
        k = f"k{len(used)}"
        used.add(k)
    # sops takes string keys only: keys YAML would resolve otherwise are quoted.
    if k == "" or any(c in k for c in "#:") or k in ("~", "null", "true", "123", "1.5") or k[0] in "-@%":
        return json.dumps(k, ensure_ascii=False)
    if rng.random() < 0.1:
        return "'" + k.replace("'", "''") + "'"
    return k


class YamlGen:
    def __init__(self, rng):
        self.rng = rng
        self.anchors = []  # (name, is_map), usable by aliases
        self.pending = []  # anchors whose value is still being written
        self.n = 0

    def comment(self, ind):
        r = self.rng
        if r.random() < 0.12:
            return f"{ind}# {r.choice(WORDS)} {r.choice(['note', 'x: y', '', 'é'])}\n"
        return ""

    def inline_comment(self):
        return f"  # {self.rng.choice(WORDS)}" if self.rng.random() < 0.08 else ""

    def anchor(self, is_map):
        """An anchor for the value about to be written; aliases to it come after it."""
        if self.rng.random() < 0.1:
            self.n += 1
            name = f"a{self.n}"
            self.pending.append((name, is_map))
            return f"&{name} "
        return ""

    def settle(self):
        self.anchors += self.pending
        self.pending = []

    def scalar(self):
        r = self.rng
        if self.anchors and r.random() < 0.06:
            return "*" + r.choice(self.anchors)[0]
        return self.anchor(False) + r.choice(YAML_SCALARS)

    def flow(self, depth):
        r = self.rng
        if depth > 1 or r.random() < 0.5:
            return r.choice(["[]", "{}", "[1, 2]", "[a, 'b', \"c\"]", "{a: 1, b: [x, y]}", "{k: v}"])
        if r.random() < 0.5:
            return "[" + ", ".join(self.flow(depth + 1) if r.random() < 0.2 else r.choice(
                ["x", "1", "'q'", "null", "true", "1.5"]) for _ in range(r.randrange(4))) + "]"
        return "{" + ", ".join(f"k{i}: {r.choice(['v', '2', 'null', '[1]'])}" for i in range(r.randrange(4))) + "}"

    def value(self, ind, depth):
        """A value after `key:` or `- `: returns text beginning with ' ' or '\\n'."""
        r = self.rng
        x = r.random()
        if depth < 3 and x < 0.22:
            a = self.anchor(True)
            pending, self.pending = self.pending, []
            body = self.mapping(ind + "  ", depth + 1)
            self.pending = pending
            self.settle()
            return (" " + a.strip() if a else "") + "\n" + body
        if depth < 3 and x < 0.34:
            a = self.anchor(False)
            pending, self.pending = self.pending, []
            seq = self.sequence(ind + r.choice(["", "  "]), depth + 1)
            self.pending = pending
            self.settle()
            return (" " + a.strip() if a else "") + "\n" + seq
        if x < 0.42:
            return " " + self.flow(depth) + self.inline_comment() + "\n"
        if x < 0.5:
            return " " + r.choice(BLOCK_SCALARS).format(i=ind + "  ").rstrip("\n") + "\n"
        v = self.scalar()
        self.settle()
        return " " + v + self.inline_comment() + "\n"

    def mapping(self, ind, depth):
        r = self.rng
        used = set()
        out = ""
        maps = [a for a in self.anchors if a[1]]
        if maps and r.random() < 0.3:
            out += f"{ind}<<: *{r.choice(maps)[0]}\n"
        elif maps and r.random() < 0.05:
            out += f"{ind}<<: [*{r.choice(maps)[0]}]\n"
        for _ in range(r.randint(1, 4)):
            out += self.comment(ind)
            k = yaml_key(r, used)
            v = self.value(ind, depth)
            out += f"{ind}{k}:{v}" if v.startswith("\n") or v.startswith(" ") else f"{ind}{k}: {v}"
        return out

    def sequence(self, ind, depth):
        r = self.rng
        out = ""
        for _ in range(r.randint(1, 3)):
            out += self.comment(ind)
            x = r.random()
            if depth < 3 and x < 0.25:
                body = self.mapping(ind + "  ", depth + 1)
                out += f"{ind}- " + body[len(ind) + 2:]
            elif x < 0.35:
                out += f"{ind}-" + (" " + self.flow(depth) + "\n")
            elif x < 0.4:
                out += f"{ind}- " + r.choice(BLOCK_SCALARS).format(i=ind + "  ").rstrip("\n") + "\n"
            else:
                out += f"{ind}- {self.scalar()}\n"
                self.settle()
        return out

    def document(self):
        r = self.rng
        out = ""
        if r.random() < 0.2:
            out += f"# {r.choice(WORDS)} header\n"
        out += self.mapping("", 0)
        return out


def gen_yaml(rng):
    g = YamlGen(rng)
    docs = [g.document() for _ in range(1 if rng.random() < 0.8 else rng.randint(2, 3))]
    text = ""
    for i, d in enumerate(docs):
        if i > 0 or rng.random() < 0.1:
            text += "---\n"
        text += d
    if rng.random() < 0.05:
        text = "\n" + text
    return text.encode()


# ---------------------------------------------------------------- JSON

JSON_NUMBERS = [
    "0", "-0", "-0.0", "0.0", "1", "-1", "1.0", "1.5", "0.1", "1e5", "1E5", "1e+5", "1E-5", "-1e-7",
    "1.5e300", "2.5E-300", "12345678901234567890", "-12345678901234567890",
    "123456789012345678901234567890", "9007199254740993", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "18446744073709551616", "1.7976931348623157e308",
    "5e-324", "4.9e-324", "0.30000000000000004", "100", "1e21", "1e20", "123456789.123456789",
    "1.0e0", "3.14159265358979323846264338327950288", "0.000001", "0.0000001", "1e-6", "1e-7",
    "100000000000000000000", "1000000000000000000000", "2e0", "-0e0", "0e10",
]
JSON_STRINGS = [
    "", "plain", "two words", "é", "\u00e9t\u00e9", "日本語", "🔑", "<tag>", "a&b", "line\nbreak",
    "tab\t", "quote\"", "back\\slash", "\u2028\u2029", "\u0000nul", "\u0007bell", "\u007f", "\u0085",
    "\ufeff", "/slash", "123", "true", "null", "  spaced  ", "\r\n",
]


def gen_json_value(rng, depth):
    x = rng.random()
    if depth < 3 and x < 0.15:
        return gen_json_object(rng, depth + 1)
    if depth < 3 and x < 0.25:
        items = [gen_json_value(rng, depth + 1) for _ in range(rng.randrange(4))]
        return "[" + ", ".join(items) + "]" if items else "[]"
    if x < 0.55:
        return rng.choice(JSON_NUMBERS)
    if x < 0.65:
        return rng.choice(["true", "false", "null"])
    s = rng.choice(JSON_STRINGS)
    return json.dumps(s, ensure_ascii=rng.random() < 0.3)


def gen_json_object(rng, depth):
    used = set()
    items = []
    for _ in range(rng.randrange(0 if depth else 1, 5)):
        k = key(rng, "json")
        if k in used:
            continue
        used.add(k)
        items.append(json.dumps(k, ensure_ascii=rng.random() < 0.5) + ": " + gen_json_value(rng, depth))
    if not items:
        return "{}"
    if rng.random() < 0.5:
        return "{" + ", ".join(items) + "}"
    ind = "  " * (depth + 1)
    return "{\n" + ",\n".join(ind + i for i in items) + "\n" + "  " * depth + "}"


def gen_json(rng):
    text = gen_json_object(rng, 0)
    if rng.random() < 0.7:
        text += "\n"
    return text.encode()


# ---------------------------------------------------------------- INI and dotenv

TEXT_VALUES = [
    "value", "two words", "", "1", "1.5", "true", "é", "日本語", "a=b", "a;b", "a#b", "\"quoted\"",
    "'single'", "  padded", "trail  ", "http://x/y?z=1", "$HOME", "${VAR}", "\\n", "[x]", "%(x)s",
]


def gen_ini(rng):
    out = []
    if rng.random() < 0.1:
        out.append("; leading comment")
    sections = rng.randint(1, 4)
    for s in range(sections):
        if s > 0 or rng.random() < 0.9:
            out.append(f"[{rng.choice(WORDS)}{s}]")
        used = set()
        for _ in range(rng.randint(0, 5)):
            if rng.random() < 0.1:
                out.append(rng.choice(["; comment", "# comment", ";", "# é"]))
            k = key(rng, "ini")
            if k in used:
                continue
            used.add(k)
            sep = rng.choice(["=", " = ", "= ", " ="])
            out.append(f"{k}{sep}{rng.choice(TEXT_VALUES)}")
        if rng.random() < 0.3:
            out.append("")
    text = "\n".join(out)
    if rng.random() < 0.8:
        text += "\n"
    return text.encode()


def gen_dotenv(rng):
    out = []
    used = set()
    for _ in range(rng.randint(1, 8)):
        x = rng.random()
        if x < 0.1:
            out.append(rng.choice(["# comment", "#", "# é x=y"]))
            continue
        if x < 0.15:
            out.append("")
            continue
        k = key(rng, "dotenv").upper() if rng.random() < 0.5 else key(rng, "dotenv")
        if k in used:
            continue
        used.add(k)
        out.append(f"{k}={rng.choice(TEXT_VALUES + ['a b c', '=lead', 'x=y=z'])}")
    text = "\n".join(out)
    if rng.random() < 0.8:
        text += "\n"
    return text.encode()


# ---------------------------------------------------------------- binary


def gen_binary(rng):
    x = rng.random()
    n = rng.choice([0, 1, 2, 15, 16, 17, 31, 32, 33, 100, 255, 256, 1000, rng.randrange(2000)])
    if x < 0.4:
        return bytes(rng.randrange(256) for _ in range(n))
    if x < 0.7:
        return "".join(rng.choice(["a", " ", "\n", "é", "🔑", "\r\n", "\t", "x=y"]) for _ in range(n)).encode()
    return rng.choice([b"", b"\n", b"{}", b"null", b"\x00", b"\xff\xfe", b"sops: x\n", b"[a]\nb=c\n"])


GEN = {"yaml": gen_yaml, "json": gen_json, "ini": gen_ini, "dotenv": gen_dotenv, "binary": gen_binary}

# ---------------------------------------------------------------- options

REGEXES = ["^(data|stringData)$", "^(password|token)", "secret", "^a", "^(b|x|key)", "_enc$", "."]
COMMENT_REGEXES = ["^ sops", "note", "^ [a-z]"]


def options(rng, fmt, recipients):
    """The options for one document: sops encrypt's flags, and the creation rule of the
    .sops.yaml it is encrypted under (mac_only_encrypted, the comment regexes and key groups
    with a Shamir threshold are set there). Returns (description, flags, .sops.yaml text)."""
    flags = []
    rule = []
    x = rng.random()
    if fmt != "binary" or rng.random() < 0.3:
        if x < 0.15:
            flags += ["--encrypted-regex", rng.choice(REGEXES)]
        elif x < 0.3:
            flags += ["--unencrypted-regex", rng.choice(REGEXES)]
        elif x < 0.42:
            flags += ["--encrypted-suffix", rng.choice(["_secret", "_enc", "_unencrypted"])]
        elif x < 0.54:
            flags += ["--unencrypted-suffix", rng.choice(["_unencrypted", "_plain", "_secret"])]
        elif fmt == "yaml" and x < 0.62:
            which = rng.choice(["encrypted_comment_regex", "unencrypted_comment_regex"])
            rule.append(f"{which}: '{rng.choice(COMMENT_REGEXES)}'")
    if (flags or rule) and rng.random() < 0.35 or rng.random() < 0.05:
        rule.append("mac_only_encrypted: true")
    if rng.random() < 0.2:
        threshold = rng.choice([2, 3]) if rng.random() < 0.7 else 2
        if rng.random() < 0.5:
            rule.append(f"shamir_threshold: {threshold}")
        else:
            flags += ["--shamir-secret-sharing-threshold", str(threshold)]
        rule.append("key_groups:")
        rule += [f"  - age: ['{r}']" for r in recipients]
    else:
        rule.append("age: '" + (recipients[0] if rng.random() < 0.8 else ",".join(recipients[:2])) + "'")
    config = "creation_rules:\n" + "".join(
        ("  - " if i == 0 else "    ") + line + "\n" for i, line in enumerate(rule))
    described = flags + [r.strip() for r in rule if not r.startswith("  - age")]
    return described, flags, config


# ---------------------------------------------------------------- recording

SOPS = None


def run_case(job):
    fmt, index, seed, recipients = job
    rng = random.Random(f"{seed}/{fmt}/{index}")
    plain = GEN[fmt](rng)
    opts, flags, config = options(rng, fmt, recipients)
    name = f"{fmt}-{index:04d}.{EXT[fmt]}"
    with tempfile.TemporaryDirectory() as work:
        cfg = os.path.join(work, "sops.yaml")
        with open(cfg, "w") as f:
            f.write(config)
        src = os.path.join(work, name)
        with open(src, "wb") as f:
            f.write(plain)
        enc = subprocess.run([SOPS, "--config", cfg, "encrypt", *flags, src],
                             capture_output=True, cwd=work)
        if enc.returncode != 0:
            return None
        out = os.path.join(work, "enc-" + name)
        with open(out, "wb") as f:
            f.write(enc.stdout)
        keyfile = os.path.join(work, "keys.txt")
        with open(keyfile, "w") as f:
            for k in KEYS:
                with open(k) as kf:
                    f.write(kf.read())
        env = dict(os.environ, SOPS_AGE_KEY_FILE=keyfile)
        env.pop("SOPS_AGE_KEY", None)
        dec = subprocess.run([SOPS, "--config", cfg, "decrypt", out], capture_output=True,
                             cwd=work, env=env)
        expected = base64.b64encode(dec.stdout).decode() if dec.returncode == 0 else None
    return {"name": name, "options": opts, "encrypted": enc.stdout.decode(), "expected": expected}


def init(sops):
    global SOPS
    SOPS = sops


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=1100, help="documents generated per format")
    p.add_argument("--seed", default="secretgen-sops-differential-1")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--formats", default=",".join(FORMATS))
    a = p.parse_args()
    path = os.path.join(REPO, ".tools", "bin") + os.pathsep + os.environ.get("PATH", "")
    sops = shutil.which("sops", path=path)
    if not sops:
        raise SystemExit("needs sops 3.13.x in .tools/bin or on PATH")
    version = subprocess.run([sops, "--version", "--disable-version-check"],
                             capture_output=True, text=True).stdout
    if not version.startswith("sops 3.13."):
        raise SystemExit(f"needs sops 3.13.x, found {version.strip()}")
    recipients = [recipient(k) for k in KEYS]
    with open(os.path.join(HERE, "SOPS-VERSION"), "w") as f:
        f.write(version.splitlines()[0] + "\n")
    with multiprocessing.Pool(a.jobs, initializer=init, initargs=(sops,)) as pool:
        for fmt in a.formats.split(","):
            jobs = [(fmt, i, a.seed, recipients) for i in range(a.count)]
            cases = [c for c in pool.map(run_case, jobs, chunksize=8) if c is not None]
            with gzip.GzipFile(os.path.join(HERE, f"{fmt}.json.gz"), "wb", mtime=0) as f:
                f.write(json.dumps(cases, indent=0, ensure_ascii=False).encode())
            fails = sum(1 for c in cases if c["expected"] is None)
            print(f"{fmt}: {len(cases)} recorded ({a.count - len(cases)} refused by sops encrypt, "
                  f"{fails} sops cannot decrypt)", file=sys.stderr)


if __name__ == "__main__":
    main()
