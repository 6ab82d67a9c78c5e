"""The audit trail on a scripted history: log, blame, diff, show at a version or a date,
audit verify with its record of verified heads, and the export for inspectors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import date
from pathlib import Path

import pytest

from conftest import Invoke, Member, act_as, git
from formulactl.store.store import Store


@pytest.fixture
def scripted(
    signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    monkeypatch: pytest.MonkeyPatch,
) -> Store:
    """F-000001 (imported at v2) reaffirmed, revised twice, rejected once, approved at v3 and
    v4 by different approvers, and finally archived."""
    root = signed_store.root

    def as_(person: str, *args: str) -> None:
        act_as(signed_store, team_keys[person])
        monkeypatch.setenv("FORMULACTL_IDENTITY", str(team_keys[person].key))
        done = invoke(*args, cwd=root)
        assert done.code == 0, done.err

    as_("chen.jing", "reaffirm", "F-000001")
    as_("zhang.min", "revise", "F-000001", "--reason", "new pigment grade")
    as_(
        "zhang.min",
        "set",
        "F-000001",
        "ingredients[material=M-00001].percent=60",
        "ingredients[material=M-00002].percent=40",
    )
    as_("zhang.min", "submit", "F-000001")
    as_("li.wei", "reject", "F-000001", "--reason", "viscosity not measured")
    as_("zhang.min", "set", "F-000001", "notes=粘度已复测")
    as_("zhang.min", "submit", "F-000001")
    as_("chen.jing", "approve", "F-000001")
    as_("zhang.min", "revise", "F-000001", "--reason", "customer asks for more gloss")
    as_(
        "zhang.min",
        "set",
        "F-000001",
        "ingredients[material=M-00001].percent=55",
        "ingredients[material=M-00002].percent=45",
    )
    as_("zhang.min", "submit", "F-000001")
    as_("wang.fang", "approve", "F-000001")
    as_("chen.jing", "archive", "F-000001", "--reason", "replaced by F-000002")
    return signed_store


def log_of(invoke: Invoke, store: Store, record: str) -> list[dict[str, object]]:
    done = invoke("log", record, "--json", cwd=store.root)
    assert done.code == 0, done.err
    return json.loads(done.out)


def test_log_lists_every_change_newest_first_with_the_signer(
    scripted: Store, invoke: Invoke
) -> None:
    events = log_of(invoke, scripted, "F-000001")
    assert [
        (e["action"], e["person"], e["meaning"], e["version"], e["status"]) for e in events
    ] == [
        ("archive", "chen.jing", "archived", 4, "archived"),
        ("approve", "wang.fang", "approved", 4, "approved"),
        ("submit", "zhang.min", "authored", 4, "in_review"),
        ("set", "zhang.min", "authored", 4, "draft"),
        ("revise", "zhang.min", "authored", 4, "draft"),
        ("approve", "chen.jing", "approved", 3, "approved"),
        ("submit", "zhang.min", "authored", 3, "in_review"),
        ("set", "zhang.min", "authored", 3, "draft"),
        ("reject", "li.wei", "reviewed", 3, "draft"),
        ("submit", "zhang.min", "authored", 3, "in_review"),
        ("set", "zhang.min", "authored", 3, "draft"),
        ("revise", "zhang.min", "authored", 3, "draft"),
        ("reaffirm", "chen.jing", "reviewed", 2, "approved"),
        ("import", "chen.jing", "authored", 2, "approved"),
    ]
    assert all(e["signature"] == "good" for e in events)
    assert events[0]["name"] == "陈静 Chen Jing"
    assert events[0]["reason"] == "replaced by F-000002"
    assert events[8]["reason"] == "viscosity not measured"
    assert str(events[0]["date"]).startswith(date.today().isoformat())
    assert str(events[0]["date"])[19:] in ("+00:00", "Z") or "+" in str(events[0]["date"])[19:]


def test_log_text_shows_name_date_zone_and_meaning(scripted: Store, invoke: Invoke) -> None:
    first = invoke("log", "F-000001", cwd=scripted.root).out.splitlines()[:2]
    assert "陈静 Chen Jing (chen.jing), " in first[0]
    assert first[0].endswith(", archived [good]")
    assert first[1].strip() == "archive v4 → archived — replaced by F-000002"


def test_blame_names_the_last_change_and_the_approval_after_it(
    scripted: Store, invoke: Invoke
) -> None:
    done = invoke(
        "blame",
        "F-000001",
        "ingredients[material=M-00001,phase=A].percent",
        "--json",
        cwd=scripted.root,
    )
    [row] = json.loads(done.out)
    events = log_of(invoke, scripted, "F-000001")
    assert (row["person"], row["version"], row["action"]) == ("zhang.min", 4, "set")
    assert row["commit"] == events[3]["commit"]
    assert (row["approved_by"], row["approved_in"]) == ("wang.fang", events[1]["commit"])
    notes = json.loads(invoke("blame", "F-000001", "notes", "--json", cwd=scripted.root).out)
    assert (notes[0]["version"], notes[0]["approved_by"]) == (3, "chen.jing")


def test_diff_matches_lines_by_material_and_hides_secrets_without_a_key(
    scripted: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    sealed = json.loads(invoke("diff", "F-000001", "3", "4", "--json", cwd=scripted.root).out)
    fields = {c["field"]: (c["before"], c["after"]) for c in sealed["changes"]}
    assert fields["version"] == (3, 4)
    assert fields["ingredients[material=M-00001,phase=A].percent"] == ("(sealed)", "(sealed)")
    opened = json.loads(
        invoke(
            "diff",
            "F-000001",
            "3",
            "4",
            "--json",
            "--decrypt",
            "--identity",
            team_keys["zhang.min"].key,
            cwd=scripted.root,
        ).out
    )
    fields = {c["field"]: (c["before"], c["after"]) for c in opened["changes"]}
    assert fields["ingredients[material=M-00001,phase=A].percent"] == (60, 55)
    assert fields["ingredients[material=M-00002,phase=A].percent"] == (40, 45)
    markdown = invoke("diff", "F-000001", "3", "4", "--markdown", cwd=scripted.root).out
    assert "| `version` | changed | 3 | 4 |" in markdown


def test_show_at_a_version_returns_the_bytes_approved_then(scripted: Store, invoke: Invoke) -> None:
    events = log_of(invoke, scripted, "F-000001")
    approvals = {e["version"]: e["commit"] for e in events if e["action"] == "approve"}
    path = "records/formulas/F-000001.yaml"
    for version in (3, 4):
        done = invoke("show", f"F-000001@{version}", cwd=scripted.root)
        assert done.code == 0
        assert done.out == git(scripted.root, "show", f"{approvals[version]}:{path}") + "\n"
        assert "approved by" in done.err and "approved [good]" in done.err
    imported = invoke("show", "F-000001@2", cwd=scripted.root)
    assert "version: 2\n" in imported.out
    never = invoke("show", "F-000001@5", cwd=scripted.root)
    assert (never.code, never.err) == (
        2,
        "formulactl: no version 5 of F-000001 (latest: 4) — see `formulactl log F-000001`\n",
    )


def test_show_at_a_date(scripted: Store, invoke: Invoke) -> None:
    today = invoke(
        "show", "F-000001", "--at", date.today().isoformat(), "--json", cwd=scripted.root
    )
    assert json.loads(today.out)["status"] == "archived"
    early = invoke("show", "F-000001", "--at", "2000-01-01", cwd=scripted.root)
    assert early.code == 2
    assert "F-000001 did not exist on 2000-01-01" in early.err


def test_audit_verify_is_clean_and_records_the_verified_head(
    scripted: Store, invoke: Invoke
) -> None:
    done = invoke("audit", "verify", "--json", cwd=scripted.root)
    report = json.loads(done.out)
    assert done.code == 0
    assert report["findings"] == []
    assert report["summary"]["commits checked"] == 18
    assert report["summary"]["signed commits"] == 18
    head = git(scripted.root, "rev-parse", "HEAD")
    assert git(scripted.root, "show", "refs/formulactl/verified:heads").split() == [head]
    markdown = invoke("audit", "verify", "--markdown", cwd=scripted.root).out
    assert "| commits checked | 18 |" in markdown


def test_audit_verify_notices_a_rewritten_history(
    scripted: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    assert invoke("audit", "verify", cwd=scripted.root).code == 0
    verified = git(scripted.root, "rev-parse", "HEAD")
    git(scripted.root, "reset", "-q", "--hard", "HEAD~3")
    act_as(scripted, team_keys["zhang.min"])
    assert invoke("set", "C-00002", "industry=胶粘剂", cwd=scripted.root).code == 0
    done = invoke("audit", "verify", "--json", cwd=scripted.root)
    findings = json.loads(done.out)["findings"]
    assert done.code == 1
    assert [(f["rule"], f["commit"]) for f in findings] == [("history-rewritten", verified)]


def test_audit_verify_reports_uncommitted_changes_to_approved_records(
    scripted: Store, invoke: Invoke
) -> None:
    path = scripted.root / "records/customers/C-00001.yaml"
    path.write_text(path.read_text().replace("industry", "industry") + "notes: x\n")
    found = json.loads(invoke("audit", "verify", "--json", cwd=scripted.root).out)["findings"]
    assert [f["rule"] for f in found] == ["approved-uncommitted"]


def test_export_has_one_row_per_change_and_nothing_missing(scripted: Store, invoke: Invoke) -> None:
    done = invoke("audit", "export", "--format", "csv", cwd=scripted.root)
    rows = list(csv.DictReader(io.StringIO(done.out)))
    changes = git(scripted.root, "log", "--format=", "--name-only", "--", "records")
    expected = [line for line in changes.splitlines() if line.endswith(".yaml")]
    assert len(rows) == len(expected)
    formula = [row for row in rows if row["record"] == "F-000001"]
    assert [row["action"] for row in formula][-3:] == ["submit", "approve", "archive"]
    approval = formula[-2]
    assert (approval["name"], approval["meaning"], approval["signature"]) == (
        "王芳 Wang Fang",
        "approved",
        "good",
    )
    assert approval["time"][10] == "T" and approval["time"][19] in "+-Z"
    revise = next(row for row in formula if row["action"] == "set" and row["version"] == "4")
    assert "ingredients[material=M-00001,phase=A].percent (changed)" in revise["fields_changed"]
    as_json = json.loads(
        invoke(
            "audit",
            "export",
            "--format",
            "json",
            "--since",
            date.today().isoformat(),
            cwd=scripted.root,
        ).out
    )
    assert len(as_json) == len(rows)
    assert invoke("audit", "export", "--format", "xml", cwd=scripted.root).code == 2


def test_the_audit_commands_fail_closed_on_a_shallow_clone(
    scripted: Store, tmp_path: Path, invoke: Invoke
) -> None:
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{scripted.root}", str(shallow)], check=True
    )
    for command in (["log", "F-000001"], ["audit", "verify"], ["blame", "F-000001"]):
        done = invoke(*command, cwd=shallow)
        assert done.code == 2
        assert "this clone is shallow" in done.err
