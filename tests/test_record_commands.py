"""init, new, show, list, set, edit, fmt: real stores, real files, nothing invalid written."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from conftest import Invoke, Member
from formulactl.model.kinds import KINDS
from formulactl.store.store import Store
from records_fixture import replace_in


def test_init_creates_a_store_with_git_settings_team_schemas_and_folders(
    tmp_path: Path, invoke: Invoke
) -> None:
    done = invoke("init", tmp_path / "new")
    assert done.code == 0
    root = tmp_path / "new"
    assert (root / ".git").is_dir()
    assert re.search(r"^store_id: fst-[0-9a-f]{32}$", (root / "formulactl.yaml").read_text(), re.M)
    assert (root / "team.yaml").read_text() == "people: []\n"
    for kind in KINDS.values():
        assert (root / "schemas" / f"{kind.name}.schema.json").is_file()
        assert (root / "records" / kind.folder).is_dir()
    assert invoke("validate", cwd=root).code == 0
    again = invoke("init", root)
    assert again.code == 2
    assert "already holds a store" in again.err


def test_commands_find_the_store_from_a_subfolder_or_from_store(
    small_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    inside = small_store.root / "records" / "formulas"
    assert invoke("show", "F-000001", cwd=inside).code == 0
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert invoke("show", "F-000001", "--store", small_store.root, cwd=outside).code == 0
    lost = invoke("show", "F-000001", cwd=outside)
    assert lost.code == 2
    assert lost.err.startswith("formulactl: no store in ")


def test_new_allocates_the_next_id_and_fills_workflow_fields(
    signed_store: Store, invoke: Invoke
) -> None:
    done = invoke(
        "new",
        "customer",
        "--set",
        "name=蓝天胶粘剂",
        "--set",
        "type=potential",
        "--set",
        "class=C",
        "--set",
        "owner=wang.fang",
        cwd=signed_store.root,
    )
    assert (done.code, done.out) == (0, "C-00003\n")
    assert (signed_store.root / "records/customers/C-00003.yaml").read_text() == (
        "id: C-00003\nname: 蓝天胶粘剂\ntype: potential\nclass: C\nowner: wang.fang\n"
        "status: draft\nversion: 1\n"
    )


def test_new_event_records_get_dated_ids_that_do_not_collide(
    signed_store: Store, invoke: Invoke
) -> None:
    made = {
        invoke(
            "new",
            "interaction",
            "--set",
            "customer=C-00001",
            "--set",
            "channel=visit",
            "--set",
            "by=li.wei",
            "--set",
            "summary=回访",
            cwd=signed_store.root,
        ).out.strip()
        for _ in range(5)
    }
    assert len(made) == 5
    assert all(re.fullmatch(r"I-[0-9]{8}-[0-9a-f]{4}", made_id) for made_id in made)


def test_new_refuses_invalid_content_and_writes_nothing(
    signed_store: Store, invoke: Invoke
) -> None:
    before = sorted(os.listdir(signed_store.root / "records/formulas"))
    done = invoke(
        "new",
        "formula",
        "--set",
        "customer=C-00042",
        "--set",
        "product=x",
        "--set",
        "ingredients[material=M-00001].percent=100",
        cwd=signed_store.root,
    )
    assert done.code == 2
    assert "customer C-00042 does not exist" in done.err
    assert "nothing was written" in done.err
    assert sorted(os.listdir(signed_store.root / "records/formulas")) == before


def test_new_from_a_file(signed_store: Store, invoke: Invoke, tmp_path: Path) -> None:
    source = tmp_path / "supplier.yaml"
    source.write_text("name: 万华化学\nqualification: pending\ncountry: CN\n")
    done = invoke("new", "supplier", "--from", source, cwd=signed_store.root)
    assert (done.code, done.out) == (0, "S-0002\n")
    shown = invoke("show", "S-0002", "--json", cwd=signed_store.root)
    assert json.loads(shown.out)["name"] == "万华化学"


def test_show_prints_canonical_yaml_or_json(small_store: Store, invoke: Invoke) -> None:
    done = invoke("show", "C-00001", cwd=small_store.root)
    assert done.out == (small_store.root / "records/customers/C-00001.yaml").read_text()
    assert json.loads(invoke("show", "C-00001", "--json", cwd=small_store.root).out)["class"] == "A"
    missing = invoke("show", "C-00077", cwd=small_store.root)
    assert (missing.code, missing.err) == (
        2,
        "formulactl: no record C-00077 — check the ID with `formulactl list`\n",
    )


def test_list_filters_with_where(small_store: Store, invoke: Invoke) -> None:
    done = invoke("list", "customer", "--where", "class=A", "--json", cwd=small_store.root)
    assert [record["id"] for record in json.loads(done.out)] == ["C-00001"]
    table = invoke("list", "customers", cwd=small_store.root)
    assert "C-00001" in table.out and "C-00002" in table.out
    none = invoke("list", "customer", "--where", "status=archived", "--json", cwd=small_store.root)
    assert json.loads(none.out) == []


def test_set_changes_fields_and_keeps_typed_text(signed_store: Store, invoke: Invoke) -> None:
    done = invoke(
        "set",
        "C-00002",
        "industry=胶粘剂",
        "region=0012",
        "tags=[export, EU]",
        cwd=signed_store.root,
    )
    assert done.code == 0
    data = json.loads(invoke("show", "C-00002", "--json", cwd=signed_store.root).out)
    assert (data["industry"], data["region"], data["tags"]) == ("胶粘剂", "0012", ["export", "EU"])
    assert invoke("set", "C-00002", "--unset", "tags", cwd=signed_store.root).code == 0
    assert "tags" not in json.loads(invoke("show", "C-00002", "--json", cwd=signed_store.root).out)


def test_set_refuses_invalid_values_and_writes_nothing(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    assert (
        invoke("revise", "F-000001", "--reason", "new pigment grade", cwd=signed_store.root).code
        == 0
    )
    path = signed_store.root / "records/formulas/F-000001.yaml"
    before = path.read_bytes()
    zhang = team_keys["zhang.min"].key
    done = invoke(
        "set",
        "F-000001",
        "ingredients[material=M-00002].percent=40",
        "--identity",
        zhang,
        cwd=signed_store.root,
    )
    assert done.code == 2
    assert "sum to 102.5, not 100" in done.err
    assert path.read_bytes() == before


def write_editor(tmp_path: Path, steps: list[tuple[str, str]]) -> str:
    """An $EDITOR that applies the next (old, new) replacement each time it is opened."""
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(steps))
    script = tmp_path / "editor.py"
    script.write_text(
        "import json, sys, pathlib\n"
        f"plan = pathlib.Path({str(plan)!r})\n"
        "steps = json.loads(plan.read_text())\n"
        "old, new = steps.pop(0)\n"
        "plan.write_text(json.dumps(steps))\n"
        "target = pathlib.Path(sys.argv[1])\n"
        "target.write_text(target.read_text().replace(old, new))\n"
    )
    return f"{sys.executable} {script}"


def test_edit_saves_valid_changes_in_canonical_form(
    signed_store: Store, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "EDITOR",
        write_editor(tmp_path, [("name: Nordic Adhesives AB", "name:   Nordic Adhesives")]),
    )
    done = invoke("edit", "C-00002", cwd=signed_store.root)
    assert (done.code, done.out) == (0, "Saved C-00002\n")
    text = (signed_store.root / "records/customers/C-00002.yaml").read_text()
    assert "\nname: Nordic Adhesives\n" in text


def test_edit_never_saves_invalid_content(
    signed_store: Store, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = signed_store.root / "records/customers/C-00001.yaml"
    before = path.read_bytes()
    monkeypatch.setenv("EDITOR", write_editor(tmp_path, [("class: A", "class: D")]))
    monkeypatch.setattr("sys.stdin", open(os.devnull))  # noqa: SIM115 - closed by pytest
    done = invoke("edit", "C-00001", cwd=signed_store.root)
    assert done.code == 2
    assert "`class` is 'D', not one of the allowed values" in done.err
    assert "nothing was written" in done.err
    assert path.read_bytes() == before


def test_edit_reopens_until_the_content_is_valid(
    signed_store: Store, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = write_editor(tmp_path, [("class: B", "class: D"), ("class: D", "class: C")])
    monkeypatch.setenv("EDITOR", editor)
    answers = tmp_path / "answers"
    answers.write_text("y\n")
    monkeypatch.setattr("sys.stdin", answers.open())
    done = invoke("edit", "C-00002", cwd=signed_store.root)
    assert done.code == 0
    assert "\nclass: C\n" in (signed_store.root / "records/customers/C-00002.yaml").read_text()


def test_edit_without_changes_saves_nothing(
    signed_store: Store, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", write_editor(tmp_path, [("no such text", "")]))
    assert invoke("edit", "C-00001", cwd=signed_store.root).out == "No changes to C-00001.\n"


def test_fmt_check_lists_non_canonical_files_and_fmt_rewrites_them(
    signed_store: Store, invoke: Invoke
) -> None:
    assert invoke("fmt", "--check", cwd=signed_store.root).code == 0
    path = replace_in(signed_store, "materials/M-00001.yaml", "name: 去离子水\n", "")
    path.write_text(path.read_text() + "name:    '去离子水'\n")
    check = invoke("fmt", "--check", cwd=signed_store.root)
    assert (check.code, check.out) == (1, "not canonical: records/materials/M-00001.yaml\n")
    assert invoke("fmt", cwd=signed_store.root).code == 0
    assert path.read_text().splitlines()[1] == "name: 去离子水"
    assert invoke("fmt", "--check", cwd=signed_store.root).code == 0


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    small_store: Store, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = small_store.root / "records/customers/C-00002.yaml"
    before = path.read_bytes()

    def crash(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        small_store.write_text("records/customers/C-00002.yaml", "id: C-00002\n")
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == [".gitkeep", "C-00001.yaml", "C-00002.yaml"]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["show"],
            "formulactl show: Missing argument 'ID[@VERSION]' — see `formulactl show --help`",
        ),
        (["nosuch"], "formulactl: No such command 'nosuch' — see `formulactl --help`"),
        (
            ["validate", "--bogus"],
            "formulactl validate: No such option: --bogus — see `formulactl validate --help`",
        ),
    ],
)
def test_usage_errors_are_one_line_with_the_way_out(
    small_store: Store, invoke: Invoke, args: list[str], line: str
) -> None:
    done = invoke(*args, cwd=small_store.root)
    assert (done.code, done.err) == (2, line + "\n")
