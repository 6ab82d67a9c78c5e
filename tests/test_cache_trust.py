"""The cache under `.git/formulactl/` is only ever a speed-up: an entry this clone did not
write is ignored, a cache file that is a link, a FIFO or garbage is rebuilt, and `ci`,
`audit verify --strict` and `--no-cache` runs recompute everything."""

from __future__ import annotations

import hashlib
import marshal
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import Invoke, Member, commit_as, edit_record, git, rules, run_guarded
from formulactl.git.gitio import blob_id
from formulactl.rules.check import check_file
from formulactl.rules.runs import check_context
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.store import Store


def unsigned_commit(store: Store) -> str:
    edit_record(store, "customers/C-00002.yaml", industry="涂料")
    return commit_as(store.root, None, "unsigned change")


def signed_facts(store: Store, commit: str, member: Member) -> tuple[Any, ...]:
    """What the history index would hold for `commit` had `member` signed it."""
    parent = git(store.root, "rev-parse", f"{commit}^")
    timestamp = int(git(store.root, "log", "-1", "--format=%ct", commit))
    key = " ".join(member.public.read_text().split()[:2])
    return ([parent], timestamp, "+0000", ("good", key, ""), {}, "unsigned change", "")


def test_a_hand_edited_history_cache_cannot_make_an_unsigned_commit_count_as_signed(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    commit = unsigned_commit(signed_store)
    assert "unsigned" in rules(invoke, signed_store)
    forged = {commit: signed_facts(signed_store, commit, team_keys["zhang.min"])}
    path = signed_store.cache_dir / "commits.marshal"
    path.write_bytes(marshal.dumps((1, code_version(), forged)))
    assert "unsigned" in rules(invoke, signed_store)


def test_a_hand_edited_check_cache_cannot_hide_a_finding(
    small_store: Store, invoke: Invoke
) -> None:
    path = "records/customers/C-00002.yaml"
    good = (small_store.root / path).read_bytes()
    edit_record(small_store, "customers/C-00002.yaml", colour="red")
    bad = (small_store.root / path).read_bytes()
    assert invoke("validate", cwd=small_store.root).code == 1
    forged = {f"{blob_id(bad)}:customers": check_file(small_store, path, good).cached()}
    cache = small_store.cache_dir
    (cache / "check.marshal").write_bytes(marshal.dumps((1, check_context(small_store), forged)))
    (cache / "check-run.marshal").unlink(missing_ok=True)
    done = invoke("validate", cwd=small_store.root)
    assert done.code == 1
    assert "colour" in done.out


def test_ci_strict_audit_and_no_cache_recompute_what_a_forged_cache_says(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    root = signed_store.root
    base = git(root, "rev-parse", "HEAD")
    commit = unsigned_commit(signed_store)
    assert "unsigned" in rules(invoke, signed_store)
    # Forged through the cache's own writer: as good as anyone with write access to .git.
    cache = BlobCache(signed_store.cache_dir / "commits.marshal", code_version())
    cache.put(commit, signed_facts(signed_store, commit, team_keys["zhang.min"]))
    cache.save(prune=False)
    assert "unsigned" not in rules(invoke, signed_store)  # ordinary runs trust their own cache
    done = invoke("ci", "--base", base, cwd=root)
    assert done.code == 1 and "is not signed" in done.out
    done = invoke("audit", "verify", "--strict", cwd=root)
    assert done.code == 1 and "is not signed" in done.out
    done = invoke("validate", "--history", "--no-cache", cwd=root)
    assert done.code == 1 and "is not signed" in done.out


@pytest.mark.parametrize("name", ["commits.marshal", "check.marshal"])
@pytest.mark.parametrize("kind", ["link-to-dev-zero", "fifo", "garbage"])
def test_a_cache_file_that_is_a_link_a_fifo_or_garbage_is_ignored_and_rebuilt(
    signed_store: Store, name: str, kind: str
) -> None:
    folder = signed_store.cache_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "check-run.marshal").unlink(missing_ok=True)
    target: Path = folder / name
    target.unlink(missing_ok=True)
    if kind == "link-to-dev-zero":
        target.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.write_bytes(b"\xfa\x00garbage" * 100)
    command = ["validate", "--history"] if name == "commits.marshal" else ["validate"]
    done = run_guarded(signed_store.root, *command, timeout=30)
    assert "Traceback" not in done.stderr
    assert done.returncode == 0, done.stdout + done.stderr
    assert target.is_file() and not target.is_symlink()


def test_settings_checked_once_are_checked_again_when_they_change_and_not_trusted_forged(
    small_store: Store, invoke: Invoke
) -> None:
    root = small_store.root
    assert invoke("validate", cwd=root).code == 0
    remembered = small_store.cache_dir / "checked-settings.marshal"
    assert remembered.is_file()  # the settings passed their schema: remembered for next time
    settings = root / "formulactl.yaml"
    settings.write_text(settings.read_text() + "colour: red\n")
    done = invoke("validate", cwd=root)
    assert done.code == 2
    assert "formulactl.yaml" in done.out + done.err
    assert "colour" in done.out + done.err
    # A cache file written by hand (no HMAC under this clone's key) vouches for nothing.
    key = Store(root)._checked("settings", settings.read_bytes())[1]
    remembered.write_bytes(marshal.dumps((2, {key: True})))
    assert invoke("validate", cwd=root).code == 2


def test_settings_remembered_are_what_they_parse_to(small_store: Store) -> None:
    """A warm command takes the settings from the remembered check, parsing no YAML."""
    root = small_store.root
    first = Store(root).load_checked("formulactl.yaml", "settings")
    assert Store(root).load_checked("formulactl.yaml", "settings") == first
    code = (
        "import sys\nfrom formulactl.store.store import Store\n"
        f"Store({str(root)!r}).load_checked('formulactl.yaml', 'settings')\n"
        "print('yaml' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "False\n"


def test_a_packed_cache_gives_a_fresh_copy_of_each_entry_and_never_reads_a_whole_one(
    tmp_path: Path,
) -> None:
    """The records cache keeps each entry marshalled on its own: what one caller changes in
    its copy is not what the next one gets, a value marshal cannot keep is simply not kept,
    an entry altered on disk is a miss (the HMAC covers each entry's digest), and a file of
    whole entries (an older formulactl's) is not taken for one of packed ones."""
    from datetime import date

    from formulactl.store.cache import PackedCache

    path = tmp_path / "cache" / "records.marshal"
    cache = PackedCache(path, "ctx")
    cache.put("a" * 40, {"lines": [1, 2]})
    cache.put("b" * 40, {"when": date(2026, 1, 1)})
    cache.save(prune=False)
    again = PackedCache(path, "ctx")
    first = again.get("a" * 40)
    first["lines"].append(3)
    assert again.get("a" * 40) == {"lines": [1, 2]}
    assert again.get("b" * 40) is None
    data = path.read_bytes()
    size = int.from_bytes(data[32:40], "big")  # the tag, the index's length, the index
    start, length, _digest = marshal.loads(data[40 : 40 + size])[1]["a" * 40]
    last = 40 + size + start + length - 1  # the entry's last byte
    path.write_bytes(data[:last] + bytes([data[last] ^ 1]) + data[last + 1 :])
    assert PackedCache(path, "ctx").get("a" * 40) is None
    whole = BlobCache(path, "ctx")
    whole.put("c" * 40, {"lines": [4]})
    whole.save(prune=False)
    assert PackedCache(path, "ctx").get("c" * 40) is None
    # Signed with this clone's key (anyone who can read `.git` can) but not what PackedCache
    # writes: no entry, and no traceback.
    from formulactl.store.cache import FORMAT, _write

    packed = "packed\0ctx"
    bad_entry = b"\xff"
    for signed, rest in (
        (5, b""),
        ((FORMAT, {"a": ("s", 1, b"")}), b""),
        ((FORMAT, {"a": (0, 1, hashlib.sha256(bad_entry).digest())}), bad_entry),
        ((FORMAT, {"a": (0, 99, hashlib.sha256(b"").digest())}), b""),
    ):
        _write(path, packed, signed, [rest])
        assert PackedCache(path, "ctx").get("a") is None
