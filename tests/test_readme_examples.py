"""The README is a contract: every console example in it runs, in order, in a throwaway
folder, and prints what the README shows. byexample replays the examples and compares;
`<...>` in the README stands for what differs from run to run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import PROJECT, SAMPLE_RECORDS


def test_every_console_example_in_the_readme_prints_what_it_shows(isolated_home: Path) -> None:
    tools = Path(sys.executable).parent  # formulactl and byexample, installed beside pytest
    env = {
        **os.environ,
        "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
        "SAMPLE_RECORDS": str(SAMPLE_RECORDS),
        "README_SETUP": str(PROJECT / "tests" / "readme_setup.py"),
        "LANG": "C.UTF-8",
        "TZ": "Asia/Shanghai",
        "PAGER": "cat",
        "GIT_PAGER": "cat",
    }
    done = subprocess.run(
        [
            str(tools / "byexample"),
            "--language",
            "shell",
            "--options",
            "+norm-ws",
            "--encoding",
            "utf-8",
            "--timeout",
            "120",
            "--pretty",
            "none",
            "--no-progress-bar",
            str(PROJECT / "README.md"),
        ],
        cwd=isolated_home,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
    assert "[PASS]" in done.stdout
