#!/usr/bin/env python3
"""Layering check: every `#include "sub/..."` in src/<subsystem>/ must be allowed by the table in
docs/architecture.md (between the deps-table markers). Exits 1 listing each violation."""
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent


def load_table():
    text = (ROOT / "docs" / "architecture.md").read_text()
    m = re.search(r"<!-- deps-table-begin -->(.*?)<!-- deps-table-end -->", text, re.S)
    if not m:
        sys.exit("check_deps: docs/architecture.md has no deps table markers")
    allowed = {}
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("subsystem", "") or cells[0].startswith("-"):
            continue
        deps = set() if cells[2] in ("—", "-", "") else {d.strip() for d in cells[2].split(",")}
        allowed[cells[0]] = deps
    return allowed


def main():
    allowed = load_table()
    violations = []
    include_re = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')
    for sub_dir in sorted((ROOT / "src").iterdir()):
        if not sub_dir.is_dir():
            continue
        sub = sub_dir.name
        if sub not in allowed:
            violations.append(f"src/{sub}/: subsystem missing from docs/architecture.md")
            continue
        for f in sorted(sub_dir.rglob("*")):
            if f.suffix not in (".h", ".cc", ".hpp", ".cpp"):
                continue
            for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
                m = include_re.match(line)
                if not m:
                    continue
                target = m.group(1)
                if target == sub or target not in allowed:
                    continue  # own subsystem, or not a subsystem (e.g. generated "opentelemetry/")
                if target not in allowed[sub]:
                    violations.append(f"{f.relative_to(ROOT)}:{n}: {sub} may not include {target}/")
                elif "/internal/" in line and target != sub:
                    violations.append(f"{f.relative_to(ROOT)}:{n}: internal header of {target}/")
    if violations:
        print("layering violations:")
        print("\n".join("  " + v for v in violations))
        return 1
    print(f"check_deps: ok ({len(allowed)} subsystems)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
