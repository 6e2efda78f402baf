#!/usr/bin/env python3
"""The layer check: the real imports against ARCHITECTURE.md's "Layers" table.

Units are the core library's folders under crates/core/src/ (`render/tree/` belongs to
`render`, the files at the top, such as `error.rs`, are units of their own), the binary's
`cli/` and `main.rs` under src/, and the other crates under crates/. A core file imports a
unit by `crate::X` (in a `use`, grouped `use crate::{X, ..}`, or a path in code; the binary's
files by `secretgen::X`) and a crate by its name (`goyaml::`, `::sops::`); a crate imports the
crates its Cargo.toml depends on. The table's last column lists, in backticks, the units each row may
use (`name/`, `name.rs`, `crates/name`). Fails, listing each, on an import the table does not allow, on a table row naming a unit
that does not exist, and on every circle between units (folders or crates).

Imports the table does not allow yet may be listed in .ci/layers.allow (`FROM -> TO`, one a
line, `#` comments): they are printed, not failed, with the circles they close; a circle any
other import closes fails, and an entry no longer needed fails, so the list only shrinks.
`--graph` prints the real imports per unit.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATE_PREFIX = "crates/"
# The core library (the crate `secretgen`): its folders are units, the crate is not one.
CORE = ROOT / "crates" / "core"
# The binary package's files (under src/): the library is `secretgen::` there.
BINARY = ("cli/", "main.rs")


def strip_comments(text):
    """Rust source without comments and string literals (so doc text imports nothing)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            i = n if j < 0 else j + len(end)
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]):
            m = re.match(r"'(\\[^']*|[^\\'])'", text[i:])
            i += len(m.group(0)) if m else 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def crate_deps(manifest):
    """(lib names of) the workspace crates a Cargo.toml depends on by path."""
    deps = []
    section = None
    for line in manifest.read_text().splitlines():
        s = line.strip()
        if s.startswith("["):
            section = s
            continue
        if section not in ("[dependencies]", "[dev-dependencies]", "[build-dependencies]"):
            continue
        m = re.match(r'([A-Za-z0-9_-]+)\s*=\s*\{(.*)\}', s)
        if m and "path" in m.group(2):
            path = re.search(r'path\s*=\s*"([^"]+)"', m.group(2)).group(1)
            target = (manifest.parent / path).resolve()
            if target in (ROOT, CORE):
                continue
            deps.append((m.group(1), CRATE_PREFIX + target.name))
    return deps


def crate_units():
    return sorted(CRATE_PREFIX + p.parent.name for p in ROOT.glob("crates/*/Cargo.toml")
                  if p.parent != CORE)


def sources():
    """The core's files, then the binary's."""
    return sorted((CORE / "src").rglob("*.rs")) + sorted((ROOT / "src").rglob("*.rs"))


def core_unit(path):
    base = CORE / "src" if path.is_relative_to(CORE / "src") else ROOT / "src"
    rel = path.relative_to(base)
    if len(rel.parts) == 1:
        return rel.stem + ".rs"
    return rel.parts[0] + "/"


def imports_of(text, extern):
    """The top-level modules a core file reaches by `crate::`, and the crates by name."""
    found = set()
    for m in re.finditer(r"\bcrate::\{([^}]*)\}", text):
        for part in m.group(1).split(","):
            name = part.strip().split("::")[0].strip()
            if name and name != "self":
                found.add(name)
    for m in re.finditer(r"(?<![A-Za-z0-9_$])(?<!super::)crate::([a-z_][a-z0-9_]*)", text):
        found.add(m.group(1))
    # The binary (`main.rs`, `cli/`) reaches the library by its name.
    for m in re.finditer(r"\bsecretgen::\{([^}]*)\}", text):
        for part in m.group(1).split(","):
            name = part.strip().split("::")[0].strip()
            if name and name != "self":
                found.add(name)
    for m in re.finditer(r"(?<![A-Za-z0-9_:])secretgen::([a-z_][a-z0-9_]*)", text):
        found.add(m.group(1))
    crates = set()
    for name, unit in extern.items():
        # `::name::`, `use name::`, `name::` at the start of a path (not `x::name::`).
        if re.search(r"(?<![A-Za-z0-9_:])(::)?%s::" % re.escape(name), text):
            crates.add(unit)
    return found, crates


def actual_imports():
    """{unit: {used unit: [file, ...]}} for the core's folders and the crates."""
    edges = {}
    core_extern = {name.replace("-", "_"): unit for name, unit in crate_deps(CORE / "Cargo.toml")}
    top = set()
    for base in (CORE / "src", ROOT / "src"):
        top |= {p.name + "/" for p in base.iterdir() if p.is_dir()}
        top |= {p.name for p in base.glob("*.rs")}
    for path in sources():
        unit = core_unit(path)
        if unit in ("lib.rs",):
            continue
        text = strip_comments(path.read_text())
        mods, crates = imports_of(text, core_extern)
        if unit in BINARY:
            # In the binary, `crate::` is the binary's own root (`cli`, its modules); it
            # reaches no other crate but the core.
            crates = set()
            mods = {m for m in mods if m + "/" in top or m + ".rs" in top}
        # A core folder named like a crate (`sops/`) reaches the crate as `::sops::`; inside the
        # crate root, `sops::` alone is that folder's name only in `lib.rs`, skipped above.
        for mod in mods:
            used = mod + "/" if mod + "/" in top else mod + ".rs"
            if used != unit:
                edges.setdefault(unit, {}).setdefault(used, []).append(str(path.relative_to(ROOT)))
        for used in crates:
            edges.setdefault(unit, {}).setdefault(used, []).append(str(path.relative_to(ROOT)))
    for unit in crate_units():
        manifest = ROOT / unit / "Cargo.toml"
        for _, used in crate_deps(manifest):
            edges.setdefault(unit, {}).setdefault(used, []).append(str(manifest.relative_to(ROOT)))
    return edges


def table():
    """{unit: set of allowed units} from ARCHITECTURE.md's "Layers" table."""
    text = (ROOT / "ARCHITECTURE.md").read_text()
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        unit = re.match(r"`([^`]+)`", cells[0]).group(1)
        # Units are spelled `name/` (a folder), `name.rs` (a file) or `crates/name`; other
        # backticked words in the cell are prose.
        rows[unit] = {u for u in re.findall(r"`([^`]+)`", cells[-1])
                      if u.endswith("/") or u.endswith(".rs") or u.startswith(CRATE_PREFIX)}
    return rows


def circles(edges):
    """Strongly connected components of more than one unit (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, {})):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(set(edges) | {w for ws in edges.values() for w in ws}):
        if v not in index:
            visit(v)
    return out


def main():
    edges = actual_imports()
    rows = table()
    units = set(edges) | {w for ws in edges.values() for w in ws}
    units |= {core_unit(p) for p in sources()} | set(crate_units())
    allow_file = ROOT / ".ci" / "layers.allow"
    allowed_debt = set()
    if allow_file.exists():
        for line in allow_file.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                a, b = (x.strip() for x in line.split("->"))
                allowed_debt.add((a, b))
    failures, debts = [], []
    for unit in sorted(rows):
        if unit not in units:
            failures.append(f"the table names `{unit}`, which is no folder, file or crate")
        for used in sorted(rows[unit]):
            if used not in units:
                failures.append(f"the row of `{unit}` allows `{used}`, which is no folder, file or crate")
    used_debt = set()
    for unit in sorted(edges):
        for used, files in sorted(edges[unit].items()):
            if used in rows.get(unit, set()):
                continue
            where = ", ".join(sorted(set(files)))
            line = f"{unit} -> {used} (not in the table{'' if unit in rows else ': no row'}): {where}"
            if (unit, used) in allowed_debt:
                used_debt.add((unit, used))
                debts.append(line)
            else:
                failures.append(line)
    for a, b in sorted(allowed_debt - used_debt):
        failures.append(f".ci/layers.allow lists {a} -> {b}, which the code no longer needs: remove it")
    for comp in circles({u: set(rows[u]) for u in rows}):
        failures.append("the table itself has a circle between " + ", ".join(comp))
    # A circle fails unless a known exception closes it; the known ones are printed.
    without_debt = {u: {w for w in ws if (u, w) not in allowed_debt} for u, ws in edges.items()}
    for comp in circles(without_debt):
        failures.append("a circle between " + ", ".join(comp))
    for line in debts:
        print("known, to remove:", line)
    for comp in circles(edges):
        print("known circle, to remove:", ", ".join(comp))
    for line in failures:
        print("layer check:", line)
    if failures:
        print(f"layer check failed: {len(failures)} finding(s); the table is in ARCHITECTURE.md")
        return 1
    print(f"layer check: {sum(len(v) for v in edges.values())} imports between {len(units)} units hold the table"
          + (f" ({len(debts)} known exceptions)" if debts else ""))
    return 0


if __name__ == "__main__":
    if "--graph" in sys.argv:
        for unit, used in sorted(actual_imports().items()):
            print(f"{unit}: " + ", ".join(f"`{u}`" for u in sorted(used)))
        sys.exit(0)
    sys.exit(main())
