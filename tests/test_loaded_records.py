"""Records read one by one (a formula's materials) are parsed once per content, and a
command finds its repository's cache folder without starting git when the layout is plain."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Member, git, run_cli
from formulactl.git import gitio
from formulactl.store import yamlio
from formulactl.store.store import Store


def test_load_many_gives_what_load_gives_and_sees_a_changed_file(
    sample_signed_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = sample_signed_store
    ids = ["M-00001", "M-00002", "C-00001"]
    first = store.load_many(ids)
    assert {key: record.data for key, record in first.items()} == {
        key: store.load(key).data for key in ids
    }
    first["M-00001"].data["name"] = "changed by its caller"  # a copy: nothing kept changes
    assert store.load_many(["M-00001"])["M-00001"] == store.load("M-00001")
    store.keep_loaded()
    assert (store.cache_dir / "loaded.marshal").is_file()

    def no_parsing(self: Store, path: str, data: bytes) -> None:
        raise AssertionError(f"{path} parsed again")

    with monkeypatch.context() as patched:  # another run: every record from the kept form
        patched.setattr(Store, "parse", no_parsing)
        again = Store(store.root).load_many(ids)
    assert {key: record.data for key, record in again.items()} == {
        key: store.load(key).data for key in ids
    }

    path = store.root / first["M-00001"].path
    data = yamlio.load_record(path.read_bytes(), first["M-00001"].path, 1 << 20)
    data["name"] = "changed by hand"
    path.write_text(yamlio.dump(data, store.schema("material").shape), encoding="utf-8")
    changed = Store(store.root).load_many(["M-00001"])["M-00001"]
    assert changed.data["name"] == "changed by hand"


def test_the_kept_records_are_those_used_last(
    sample_signed_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import formulactl.store.store as module

    monkeypatch.setattr(module, "LOADED_KEPT", 3)
    store = sample_signed_store
    store.load_many(["M-00001", "M-00002", "M-00003"])
    store.keep_loaded()
    later = Store(store.root)
    later.load_many(["M-00004", "M-00001"])  # one new, one kept: M-00002 and M-00003 are older
    later.keep_loaded()
    kept = Store(store.root)._loaded.entries
    assert sorted(key.rsplit("/", 1)[-1] for key in kept) == [
        "M-00001.yaml",
        "M-00003.yaml",
        "M-00004.yaml",
    ]


def test_a_warm_scale_parses_no_yaml(
    sample_signed_store: Store, team_keys: dict[str, Member]
) -> None:
    """The second run reads settings, the approved version and the materials as parsed
    before: the YAML parser, a thirtieth of a second, is not even imported."""
    key = team_keys["zhang.min"].key
    args = ["scale", "F-000014", "--size", "500kg", "--identity", str(key)]
    first = run_cli(*args, cwd=sample_signed_store.root)
    assert first.code == 0, first.err
    probe = (
        "import atexit, sys\n"
        "said = lambda: sys.stderr.write('\\nyaml imported: %s' % ('yaml' in sys.modules))\n"
        "atexit.register(said)\n"
        "from formulactl.cli import main\n"
        f"sys.argv = ['formulactl', *{args!r}]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=sample_signed_store.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == first.out
    assert done.stderr.endswith("yaml imported: False")


def test_the_cache_folder_is_where_git_says_in_plain_and_linked_checkouts(
    sample_signed_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = sample_signed_store.root

    def says(folder: Path) -> Path:
        common = git(folder, "rev-parse", "--path-format=absolute", "--git-common-dir")
        return Path(common.strip())

    with monkeypatch.context() as patched:  # the plain layout: answered without git
        patched.setattr(gitio, "run", lambda *args, **kwargs: pytest.fail("git was run"))
        assert gitio.git_dir(root) == says(root)
        assert gitio.git_dir(root, common=False) == says(root)
    linked = tmp_path / "linked"
    git(root, "worktree", "add", "--detach", str(linked))
    assert gitio.git_dir(linked) == says(linked) == says(root)  # through git: .git is a file
    assert gitio.git_dir(root / "records") == says(root)  # a folder below: through git too
    monkeypatch.setenv("GIT_COMMON_DIR", str(linked / "elsewhere"))
    assert gitio.git_dir(root) != root / ".git"  # git is asked, and names that folder
