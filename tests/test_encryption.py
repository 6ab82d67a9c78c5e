"""Confidential fields sealed with age-wrapped data keys: bound to their place, readable only
by today's readers, never left in plain text on disk, verifiable without any key."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Invoke, Member, act_as, commit_as, git, make_key, raw, write_raw
from formulactl.crypto import crypto
from formulactl.crypto.sealing import open_secrets
from formulactl.errors import FormulaError
from formulactl.model.sealed import SEALED, place
from formulactl.store import yamlio
from formulactl.store.store import Store

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=10,
)
KEY = crypto.new_data_key()


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_every_json_value_opens_as_it_was_sealed(value: Any) -> None:
    where = place("fst-1", "F-000001", "ingredients[material=M-1].percent")
    sealed = crypto.seal_value(KEY, where, value)
    opened = crypto.open_value(KEY, where, sealed)
    assert json.dumps(opened, sort_keys=True) == json.dumps(value, sort_keys=True)
    assert (
        yamlio.load_record(yamlio.dump({"v": sealed}, None).encode(), "x", 1 << 20)["v"] == sealed
    )


def plain(store: Store, name: str, member: Member) -> dict[str, Any]:
    from formulactl.crypto.opening import open_record

    record = store.load(name.split("/")[1].removesuffix(".yaml"))
    return open_record(store, record, [crypto.load_identity(member.key)]).plain


def test_import_seals_confidential_fields_for_the_readers(
    signed_store: Store, team_keys: dict[str, Member]
) -> None:
    data = raw(signed_store, "formulas/F-000001.yaml")
    percents = [line["percent"] for line in data["ingredients"]]
    assert all(SEALED.fullmatch(value) for value in percents)
    assert sorted(data["encryption"]["recipients"]) == [
        "chen.jing",
        "li.wei",
        "recovery",
        "wang.fang",
        "zhang.min",
    ]
    assert [
        line["percent"]
        for line in plain(signed_store, "formulas/F-000001.yaml", team_keys["li.wei"])[
            "ingredients"
        ]
    ] == [62.5, 37.5]


@pytest.mark.parametrize("place", ["another record", "another field", "another line"])
def test_a_ciphertext_moved_elsewhere_fails_to_open(
    signed_store: Store, place: str, team_keys: dict[str, Member]
) -> None:
    formula = raw(signed_store, "formulas/F-000001.yaml")
    batch = raw(signed_store, "batches/B-20261105-001.yaml")
    if place == "another record":  # a batch lot quantity pasted into the formula
        formula["ingredients"][0]["percent"] = batch["lots"][0]["quantity"]
        formula["encryption"] = batch["encryption"]
    elif place == "another field":
        batch["lots"][0]["quantity"], batch["size"]["quantity"] = 1, batch["lots"][0]["quantity"]
        formula = batch
    else:
        lines = formula["ingredients"]
        lines[0]["percent"], lines[1]["percent"] = lines[1]["percent"], lines[0]["percent"]
    schema = signed_store.schema("batch" if place == "another field" else "formula")
    if place == "another field":
        # the schema keeps a sealed value out of an open field; the open fields stay open
        assert schema.problems(formula)
        return
    key = crypto.unwrap(
        formula["encryption"]["key_id"],
        formula["encryption"]["recipients"]["li.wei"].split(":")[1],
        [crypto.load_identity(team_keys["li.wei"].key).secret],
    )
    assert key is not None
    with pytest.raises(FormulaError) as caught:
        open_secrets(signed_store.settings, schema, "F-000001", formula, key)
    assert "cannot be opened" in str(caught.value)
    assert "ingredients[material=M-00001,phase=A].percent" in str(caught.value)


def test_reordering_lines_breaks_nothing(signed_store: Store, team_keys: dict[str, Member]) -> None:
    formula = raw(signed_store, "formulas/F-000001.yaml")
    formula["ingredients"].reverse()
    write_raw(signed_store, "formulas/F-000001.yaml", formula)
    opened = plain(signed_store, "formulas/F-000001.yaml", team_keys["li.wei"])
    assert [line["percent"] for line in opened["ingredients"]] == [37.5, 62.5]


def test_plaintext_is_a_finding_without_any_identity(signed_store: Store, invoke: Invoke) -> None:
    formula = raw(signed_store, "formulas/F-000001.yaml")
    formula["ingredients"][0]["percent"] = 62.5
    write_raw(signed_store, "formulas/F-000001.yaml", formula)
    done = invoke("validate", cwd=signed_store.root)
    assert done.code == 1
    assert done.out.splitlines() == [
        "records/formulas/F-000001.yaml:9:14: ingredients[material=M-00001,phase=A].percent is "
        "confidential but stored in plain text — write it with formulactl (set, edit, import), "
        "which seals it"
    ]


def test_a_malformed_sealed_value_and_a_missing_reader_are_findings(
    signed_store: Store, invoke: Invoke
) -> None:
    formula = raw(signed_store, "formulas/F-000001.yaml")
    formula["ingredients"][0]["percent"] = "fcx1:broken"
    del formula["encryption"]["recipients"]["recovery"]
    write_raw(signed_store, "formulas/F-000001.yaml", formula)
    found = json.loads(invoke("validate", "--json", cwd=signed_store.root).out)
    assert sorted(f["rule"] for f in found) == ["readers", "sealed-malformed"]
    assert any("recovery should read F-000001" in f["message"] for f in found)


def test_unchanged_values_keep_their_ciphertext_when_another_field_changes(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    zhang = team_keys["zhang.min"]
    assert invoke("revise", "F-000001", "--reason", "new grade", cwd=signed_store.root).code == 0
    before = raw(signed_store, "formulas/F-000001.yaml")
    assert (
        invoke(
            "set",
            "F-000001",
            "ingredients[material=M-00002].percent=37.5",
            "notes=复测",
            "--identity",
            zhang.key,
            cwd=signed_store.root,
        ).code
        == 0
    )
    after = raw(signed_store, "formulas/F-000001.yaml")
    assert after["ingredients"] == before["ingredients"]
    assert after["encryption"] == before["encryption"]
    assert (
        invoke(
            "set",
            "F-000001",
            "ingredients[material=M-00002].percent=37.0",
            "ingredients[material=M-00001].percent=63",
            "--identity",
            zhang.key,
            cwd=signed_store.root,
        ).code
        == 0
    )
    changed = raw(signed_store, "formulas/F-000001.yaml")
    assert [
        a["percent"] == b["percent"]
        for a, b in zip(changed["ingredients"], before["ingredients"], strict=True)
    ] == [False, False]
    diff = git(signed_store.root, "diff", "HEAD~1", "--stat")
    assert "1 file changed, 2 insertions(+), 2 deletions(-)" in diff


def test_a_change_to_open_fields_needs_no_key(signed_store: Store, invoke: Invoke) -> None:
    assert invoke("revise", "F-000001", "--reason", "new grade", cwd=signed_store.root).code == 0
    done = invoke("set", "F-000001", "notes=只改说明", cwd=signed_store.root)
    assert done.code == 0
    refused = invoke(
        "set", "F-000001", "ingredients[material=M-00002].percent=1", cwd=signed_store.root
    )
    assert (refused.code, refused.err) == (
        2,
        (
            "formulactl: no identity to decrypt with — pass --identity FILE, set "
            "FORMULACTL_IDENTITY, or make one with `formulactl keygen`\n"
        ),
    )


def test_someone_who_is_not_a_reader_is_told_so_in_one_line(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    stranger = make_key(tmp_path / "keys", "stranger")
    done = invoke("show", "F-000001", "--decrypt", "--identity", stranger, cwd=signed_store.root)
    assert done.code == 2
    assert done.err == (
        f"formulactl: {stranger} is not a reader of F-000001 — its data key is "
        "wrapped for chen.jing, li.wei, recovery, wang.fang, zhang.min; an admin "
        "adds readers with `formulactl rekey`\n"
    )


def test_a_passphrase_protected_key_gets_a_way_out(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    locked = tmp_path / "locked"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f", str(locked)], check=True
    )
    done = invoke("show", "F-000001", "--decrypt", "--identity", locked, cwd=signed_store.root)
    assert done.code == 2
    assert "protected by a passphrase, which pyrage cannot read" in done.err
    assert "formulactl keygen" in done.err


def test_keygen_makes_a_private_age_identity_that_decrypts_once_added(
    signed_store: Store, invoke: Invoke, isolated_home: Path, team_keys: dict[str, Member]
) -> None:
    made = invoke("keygen")
    recipient = made.out.strip()
    identity = isolated_home / ".config" / "formulactl" / "identity.txt"
    assert recipient.startswith("age1")
    assert identity.stat().st_mode & 0o777 == 0o600
    assert invoke("keygen").code == 2  # never overwritten by accident
    team = signed_store.root / "team.yaml"
    data = yamlio.load_record(team.read_bytes(), "team.yaml", 1 << 20)
    for person in data["people"]:
        if person["id"] == "li.wei":
            person["age"] = [recipient]
    team.write_text(yamlio.dump(data, signed_store.schema("team").shape), encoding="utf-8")
    commit_as(signed_store.root, team_keys["chen.jing"], "li.wei decrypts with an age identity")
    act_as(signed_store, team_keys["chen.jing"])
    assert (
        invoke(
            "rekey", "--all", "--identity", team_keys["chen.jing"].key, cwd=signed_store.root
        ).code
        == 0
    )
    shown = invoke("show", "F-000001", "--decrypt", "--json", cwd=signed_store.root)
    assert [line["percent"] for line in json.loads(shown.out)["ingredients"]] == [62.5, 37.5]


def test_rekey_after_removal_locks_the_removed_person_out_of_the_new_key(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    li = team_keys["li.wei"]
    assert (
        invoke("show", "F-000001", "--decrypt", "--identity", li.key, cwd=signed_store.root).code
        == 0
    )
    act_as(signed_store, team_keys["chen.jing"])
    assert invoke("team", "remove", "li.wei", "--reason", "left", cwd=signed_store.root).code == 0
    done = invoke("rekey", "--all", "--identity", team_keys["chen.jing"].key, cwd=signed_store.root)
    assert done.code == 0
    assert "older commits still hold what they could read" in done.err
    assert done.out == "-li.wei: F-000001, B-20261105-001\n"
    refused = invoke("show", "F-000001", "--decrypt", "--identity", li.key, cwd=signed_store.root)
    assert refused.code == 2
    assert "is not a reader of F-000001" in refused.err
    # his customer goes to someone still in the team (an owner must be a team member)
    reassign = ("reassign", "--from", "li.wei", "--to", "wang.fang", "--reason", "left")
    assert invoke(*reassign, cwd=signed_store.root).code == 0
    assert invoke("validate", cwd=signed_store.root).code == 0
    assert invoke("validate", "--history", cwd=signed_store.root).code == 0


def test_access_history_lists_who_could_ever_read_each_field(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    assert invoke("team", "remove", "li.wei", "--reason", "left", cwd=signed_store.root).code == 0
    assert (
        invoke(
            "rekey", "F-000001", "--identity", team_keys["chen.jing"].key, cwd=signed_store.root
        ).code
        == 0
    )
    head = git(signed_store.root, "rev-parse", "HEAD")
    found = json.loads(
        invoke("access", "--history", "F-000001", "--json", cwd=signed_store.root).out
    )
    field = "ingredients[material=M-00001,phase=A].percent"
    li = [item for item in found if item["field"] == field and item["reader"] == "li.wei"]
    assert len(li) == 1 and li[0]["last"] != head  # read before the removal, not after
    chen = [item for item in found if item["field"] == field and item["reader"] == "chen.jing"]
    assert chen[0]["last"] == head
    today = json.loads(invoke("access", "F-000001", "--json", cwd=signed_store.root).out)
    assert today == [
        {
            "record": "F-000001",
            "readers": ["chen.jing", "recovery", "wang.fang", "zhang.min"],
            "missing": [],
            "extra": [],
        }
    ]


def test_access_names_readers_who_should_be_rekeyed(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    assert invoke("team", "remove", "li.wei", "--reason", "left", cwd=signed_store.root).code == 0
    done = invoke("access", "formula", cwd=signed_store.root)
    assert done.out == (
        "F-000001         chen.jing, li.wei, recovery, wang.fang, zhang.min  "
        "[no longer readers: li.wei]\n"
    )
    assert invoke("validate", cwd=signed_store.root).code == 1


def test_the_recovery_identity_opens_every_record(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    recovery = tmp_path / "recovery-identity.txt"
    for record in ("F-000001", "B-20261105-001", "M-00002"):
        done = invoke("show", record, "--decrypt", "--identity", recovery, cwd=signed_store.root)
        assert done.code == 0
        assert "fcx1:" not in done.out


@pytest.mark.skipif(
    shutil.which("age") is None,
    reason="the `age` command-line tool is not installed (apt-get install age); "
    ".ci/run installs it",
)
def test_a_wrapped_data_key_is_a_standard_age_file(
    signed_store: Store, tmp_path: Path, team_keys: dict[str, Member]
) -> None:
    envelope = raw(signed_store, "formulas/F-000001.yaml")["encryption"]
    wrapped = tmp_path / "key.age"
    wrapped.write_bytes(base64.b64decode(envelope["recipients"]["zhang.min"].split(":")[1]))
    done = subprocess.run(
        ["age", "--decrypt", "-i", str(team_keys["zhang.min"].key), str(wrapped)],
        capture_output=True,
        check=True,
    )
    key = crypto.unwrap(
        envelope["key_id"],
        envelope["recipients"]["zhang.min"].split(":")[1],
        [crypto.load_identity(team_keys["zhang.min"].key).secret],
    )
    assert key is not None and done.stdout == key.secret
    recovery = tmp_path / "recovery.age"
    recovery.write_bytes(base64.b64decode(envelope["recipients"]["recovery"].split(":")[1]))
    age_identity = tmp_path / "recovery-identity.txt"  # written by the signed_store fixture
    again = subprocess.run(
        ["age", "--decrypt", "-i", str(age_identity), str(recovery)],
        capture_output=True,
        check=True,
    )
    assert again.stdout == key.secret


def editor_script(tmp_path: Path, behaviour: str) -> str:
    """An $EDITOR that notes where the decrypted file was, then does `behaviour`."""
    note = tmp_path / "where.txt"
    script = tmp_path / "editor.py"
    script.write_text(
        "import os, pathlib, signal, sys\n"
        f"pathlib.Path({str(note)!r}).write_text(sys.argv[1])\n"
        "text = pathlib.Path(sys.argv[1]).read_text()\n"
        f"behaviour = {behaviour!r}\n"
        "if behaviour == 'save':\n"
        "    pathlib.Path(sys.argv[1]).write_text(text.replace('notes: ', 'notes: 已复核 '))\n"
        "if behaviour == 'fail':\n"
        "    sys.exit(3)\n"
        "if behaviour == 'interrupt':\n"
        "    os.kill(os.getppid(), signal.SIGINT)\n"
    )
    return f"{sys.executable} {script}"


@pytest.mark.parametrize(("behaviour", "code"), [("save", 0), ("fail", 2), ("interrupt", 130)])
def test_edit_leaves_no_plaintext_on_disk(
    signed_store: Store,
    invoke: Invoke,
    tmp_path: Path,
    team_keys: dict[str, Member],
    behaviour: str,
    code: int,
) -> None:
    zhang = team_keys["zhang.min"]
    assert invoke("revise", "F-000001", "--reason", "new grade", cwd=signed_store.root).code == 0
    assert invoke("set", "F-000001", "notes=待复核", cwd=signed_store.root).code == 0
    env = {
        **os.environ,
        "EDITOR": editor_script(tmp_path, behaviour),
        "FORMULACTL_IDENTITY": str(zhang.key),
    }
    done = subprocess.run(
        [sys.executable, "-m", "formulactl", "edit", "F-000001"],
        cwd=signed_store.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        # Ctrl-C as a terminal delivers it: a test run started in the background by a shell
        # without job control inherits SIGINT ignored, and Python keeps it ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert done.returncode == code, done.stderr
    decrypted = Path((tmp_path / "where.txt").read_text())
    assert not decrypted.exists()
    assert not decrypted.parent.exists()
    if Path("/dev/shm").is_dir():
        assert str(decrypted).startswith("/dev/shm/")
    if behaviour == "save":
        assert (
            "notes: 已复核 待复核"
            in (signed_store.root / "records/formulas/F-000001.yaml").read_text()
        )


def test_git_diff_shows_plain_values_to_readers_and_ciphertext_to_others(
    signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    zhang = team_keys["zhang.min"]
    assert invoke("setup-signing", "--key", zhang.key, cwd=signed_store.root).code == 0
    assert invoke("revise", "F-000001", "--reason", "new grade", cwd=signed_store.root).code == 0
    assert (
        invoke(
            "set",
            "F-000001",
            "ingredients[material=M-00002].percent=37.0",
            "ingredients[material=M-00001].percent=63",
            "--identity",
            zhang.key,
            cwd=signed_store.root,
        ).code
        == 0
    )
    as_reader = subprocess.run(
        ["git", "log", "-1", "-p"],
        cwd=signed_store.root,
        env={**os.environ, "FORMULACTL_IDENTITY": str(zhang.key)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "-    percent: 62.5\n+    percent: 63\n" in as_reader
    stranger = make_key(tmp_path / "keys", "stranger")
    as_other = subprocess.run(
        ["git", "log", "-1", "-p"],
        cwd=signed_store.root,
        env={**os.environ, "FORMULACTL_IDENTITY": str(stranger)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "+    percent: fcx2:" in as_other
    assert "percent: 63" not in as_other  # the value, not a chance "63" in a blob ID
