"""The benchmark's memory measure counts the NLU process too."""

from __future__ import annotations

import subprocess
import sys
import time

from bot.devtools.bench import _peak_rss_mb, _process_tree

CHILD = "import time; block = bytearray(100 * 1024 * 1024); time.sleep(60)"  # bytearray touches its 100 MB
PARENT = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {CHILD!r}]); time.sleep(60)"


def test_peak_rss_sums_the_process_and_its_children():
    parent = subprocess.Popen([sys.executable, "-c", PARENT])
    try:
        deadline = time.monotonic() + 20
        while (len(_process_tree(parent.pid)) < 2 or _peak_rss_mb(_process_tree(parent.pid)[1]) < 100) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        tree = _process_tree(parent.pid)
        assert len(tree) == 2 and tree[0] == parent.pid
        child_alone = _peak_rss_mb(tree[1])
        assert child_alone >= 100
        assert _peak_rss_mb(parent.pid) > child_alone + 5  # the parent's own interpreter on top of the child's
    finally:
        for pid in reversed(_process_tree(parent.pid)):
            subprocess.run(["kill", str(pid)])
        parent.wait(10)
