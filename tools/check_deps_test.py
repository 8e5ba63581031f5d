#!/usr/bin/env python3
"""Tests for check_deps.py: a clean tree passes, an upward include fails."""
import pathlib
import subprocess
import sys
import tempfile

SCRIPT = pathlib.Path(__file__).resolve().parent / "check_deps.py"
TABLE = """<!-- deps-table-begin -->
| subsystem | owns | may include |
|---|---|---|
| core | x | — |
| store | x | core |
<!-- deps-table-end -->
"""


def run(tree):
    with tempfile.TemporaryDirectory() as d:
        root = pathlib.Path(d)
        (root / "docs").mkdir()
        (root / "docs" / "architecture.md").write_text(TABLE)
        for path, text in tree.items():
            f = root / path
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text)
        return subprocess.run([sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True)


def main():
    ok = run({"src/core/a.h": '#include "core/b.h"\n', "src/store/s.cc": '#include "core/a.h"\n'})
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = run({"src/core/a.h": '#include "store/s.h"\n', "src/store/s.h": "\n"})
    assert bad.returncode == 1 and "core may not include store/" in bad.stdout, bad.stdout
    unknown = run({"src/web/x.cc": "\n", "src/core/a.h": "\n", "src/store/s.h": "\n"})
    assert unknown.returncode == 1 and "missing from docs/architecture.md" in unknown.stdout
    print("check_deps_test: 3 passed, 0 failed")


if __name__ == "__main__":
    main()
