#!/usr/bin/env python3
"""Tests for embed_assets.py: run with `python3 tools/embed_assets_test.py`."""
import os
import re
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "embed_assets.py")


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)


class EmbedAssetsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dist = os.path.join(self.tmp.name, "dist")
        os.makedirs(os.path.join(self.dist, "assets"))
        self.out = os.path.join(self.tmp.name, "gen.cc")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, rel, data):
        with open(os.path.join(self.dist, rel), "wb") as f:
            f.write(data)

    def test_entries_types_gzip_and_caching(self):
        self.write("index.html", b"<!doctype html><title>T</title>" + b"x" * 2000)
        self.write("assets/index-abc.js", b"console.log(1);" * 200)
        self.write("assets/tiny.css", b"a{}")
        self.write("assets/logo.png", bytes(range(256)) * 4)
        r = run(self.dist, self.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        src = open(self.out).read()
        entries = re.findall(r'\{"(/[^"]+)", "([^"]+)", \{[^}]*\}, (\{[^}]*\}), R"\(("[0-9a-f]+")\)", (true|false)\}', src)
        self.assertEqual([e[0] for e in entries], sorted(e[0] for e in entries))
        by_path = {e[0]: e for e in entries}
        self.assertEqual(set(by_path), {"/index.html", "/assets/index-abc.js", "/assets/tiny.css", "/assets/logo.png"})
        self.assertEqual(by_path["/assets/index-abc.js"][1], "text/javascript; charset=utf-8")
        self.assertEqual(by_path["/index.html"][1], "text/html; charset=utf-8")
        self.assertEqual(by_path["/assets/logo.png"][1], "image/png")
        # Hashed assets are immutable, index.html is revalidated.
        self.assertEqual(by_path["/index.html"][4], "false")
        self.assertEqual(by_path["/assets/index-abc.js"][4], "true")
        # gzip only for compressible types where it pays off.
        self.assertNotEqual(by_path["/assets/index-abc.js"][2], "{}")
        self.assertEqual(by_path["/assets/tiny.css"][2], "{}")
        self.assertEqual(by_path["/assets/logo.png"][2], "{}")

    def test_output_is_reproducible_and_not_rewritten_when_unchanged(self):
        self.write("index.html", b"<html></html>" * 100)
        self.assertEqual(run(self.dist, self.out).returncode, 0)
        first = open(self.out).read()
        mtime = os.stat(self.out).st_mtime_ns
        self.assertEqual(run(self.dist, self.out).returncode, 0)
        self.assertEqual(open(self.out).read(), first)
        self.assertEqual(os.stat(self.out).st_mtime_ns, mtime)

    def test_missing_index_is_an_error(self):
        self.write("assets/a.js", b"1")
        r = run(self.dist, self.out)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("index.html is missing", r.stderr)
        self.assertFalse(os.path.exists(self.out))

    def test_not_a_directory(self):
        r = run(os.path.join(self.tmp.name, "nope"), self.out)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not a directory", r.stderr)

    def test_empty_table(self):
        r = run("--empty", self.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("std::span<const UiAsset> UiAssets() { return {}; }", open(self.out).read())


if __name__ == "__main__":
    unittest.main()
