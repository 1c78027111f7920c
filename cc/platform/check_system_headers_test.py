#!/usr/bin/env python3
"""The OS seam guard: no system header or OS call outside cc/platform.

Runs check_system_headers.py on the repository this file lives in, after
proving on fixtures that the checker rejects a planted include and call,
accepts portable code, and holds the exemption list to its rules.

  python3 cc/platform/check_system_headers_test.py     # or: bazel test //cc/platform:system_headers_test
"""

import os
import re
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, HERE)
import check_system_headers as checker  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
TESTDATA = os.path.join(HERE, "testdata")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class FixtureTest(unittest.TestCase):
    def test_planted_violations_are_each_rejected(self):
        path = os.path.join(TESTDATA, "planted_violation.cc")
        text = read(path)
        planted = {n for n, line in enumerate(text.splitlines(), 1) if "// planted" in line}
        found = {int(v.split(":")[1]) for v in checker.violations_in(path, text)}
        self.assertEqual(found, planted)
        self.assertEqual(checker.main([path]), 1)

    def test_portable_code_is_accepted(self):
        path = os.path.join(TESTDATA, "clean.cc")
        self.assertEqual(list(checker.violations_in(path, read(path))), [])
        self.assertEqual(checker.main([path]), 0)


class TreeRulesTest(unittest.TestCase):
    """The tree walk and the exemption list, on a scratch tree."""

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="ipckit_seam_")
        self.addCleanup(shutil.rmtree, self.root)
        self.write("cc/platform/io/raw.cc", "#include <unistd.h>\nint f() { return ::getpid(); }\n")
        self.write("cc/pipe/pipe.cc", '#include "cc/platform/io/fd_io.h"\n')

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    def test_platform_may_call_the_os(self):
        self.assertEqual(checker.check_tree(self.root), [])

    def test_a_planted_include_outside_platform_fails(self):
        self.write("cc/pipe/bad.h", "#include <poll.h>\n")
        self.write("examples/x/main.cc", "int main() { return ::close(0); }\n")
        problems = checker.check_tree(self.root)
        self.assertEqual(len(problems), 2, problems)
        self.assertTrue(problems[0].startswith("cc/pipe/bad.h:1: includes <poll.h>"), problems)
        self.assertTrue(problems[1].startswith("examples/x/main.cc:1: calls ::close()"), problems)

    def test_exemption_needs_a_reason_and_a_violation(self):
        self.write("cc/pipe/bad.cc", "#include <fcntl.h>\n")
        self.write(checker.EXEMPTIONS_FILE, "cc/pipe/bad.cc drives raw fds on purpose\n")
        self.assertEqual(checker.check_tree(self.root), [])
        self.write(checker.EXEMPTIONS_FILE, "cc/pipe/bad.cc\n")
        self.assertTrue(any("without a reason" in p for p in checker.check_tree(self.root)))
        self.write("cc/pipe/bad.cc", "int x;\n")
        self.write(checker.EXEMPTIONS_FILE, "cc/pipe/bad.cc drives raw fds on purpose\n")
        self.assertTrue(any("drop it" in p for p in checker.check_tree(self.root)))


class RepositoryTest(unittest.TestCase):
    def test_no_system_call_outside_platform(self):
        problems = checker.check_tree(ROOT)
        self.assertEqual(problems, [], "\n" + "\n".join(problems))

    def test_every_exemption_has_a_reason(self):
        for line in read(os.path.join(ROOT, checker.EXEMPTIONS_FILE)).splitlines():
            if line.strip() and not line.startswith("#"):
                self.assertRegex(line, re.compile(r"^\S+ \S.{10,}"), "an exemption says why")


if __name__ == "__main__":
    unittest.main()
