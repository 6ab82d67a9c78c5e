"""`git log` is read in chunks: a commit whose changed files span many chunks still comes
out whole, in order, with every change (the history walk of a store imported in one commit)."""

from __future__ import annotations

from pathlib import Path

from conftest import git
from formulactl.git import gitio


def test_a_commit_of_thousands_of_files_is_read_whole(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    folder = root / "records" / "orders"
    folder.mkdir(parents=True)
    git(root, "init", "-q")
    for number in range(3000):  # about 400 kB of `--raw` lines: several 64 kB chunks
        (folder / f"O-{number:06d}-a-long-name-to-fill-the-chunks.yaml").write_text(f"{number}\n")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "a")
    (root / "team.yaml").write_text("x\n")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "b")
    found = list(gitio.log(root, ["HEAD"]))
    assert [len(commit.changes) for commit in found] == [3000, 1]
    assert found[0].changes[0].path == "records/orders/O-000000-a-long-name-to-fill-the-chunks.yaml"
    assert found[0].changes[-1].path.startswith("records/orders/O-002999-")
    assert found[1].parents == (found[0].id,)
    assert found[1].changes[0].path == "team.yaml"
