"""team add / remove / show, setup-signing and whoami, and what every committing command needs:
a signing key of a team member (or, in a store that allows it, an unsigned commit)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import Invoke, Member, Result, act_as, git, head, make_key, trailers
from formulactl.git.signatures import verify_commit
from formulactl.model.sshkeys import key_text
from formulactl.store import yamlio
from formulactl.store.store import Store

NOT_SET_UP = (
    "formulactl: signing is not set up in this repository — "
    "run `formulactl setup-signing --key ~/.ssh/id_ed25519`\n"
)
FOUNDING = (
    "formulactl: the store's first person must sign the founding commit with their own key — "
    "run `formulactl setup-signing --key` with the private half of --key first\n"
)


def local_config(store: Store, name: str) -> str:
    return git(store.root, "config", "--local", "--get", name)


def team_ids(store: Store) -> list[str]:
    data = yamlio.load_record((store.root / "team.yaml").read_bytes(), "team.yaml", 1 << 20)
    return [person["id"] for person in data["people"]]


def public(member: Member) -> str:
    return key_text(member.public.read_text())


def add(invoke: Invoke, store: Store, person_id: str, key: Path, *roles: str) -> Result:
    role_options = [part for role in roles or ("entry",) for part in ("--role", role)]
    return invoke(
        "team",
        "add",
        person_id,
        "--name",
        f"Name of {person_id}",
        "--email",
        f"{person_id}@example.com",
        *role_options,
        "--key",
        key,
        cwd=store.root,
    )


def signed_by(store: Store, revision: str = "HEAD") -> str:
    """The public key that made a good signature on the commit (checked in-process)."""
    raw = subprocess.run(
        ["git", "-C", str(store.root), "cat-file", "commit", revision],
        capture_output=True,
        check=True,
    ).stdout
    verdict = verify_commit(raw)
    assert verdict.status == "good", verdict
    return verdict.key


# ------------------------------------------------------------------ team add: founding a store


def test_the_first_person_added_becomes_admin_in_a_founding_commit_signed_with_their_key(
    empty_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    founder = team_keys["chen.jing"]
    setup = invoke("setup-signing", "--key", founder.key, cwd=empty_store.root)
    assert setup.code == 0
    done = invoke(
        "team",
        "add",
        "chen.jing",
        "--name",
        founder.name,
        "--email",
        "chen.jing@example.com",
        "--role",
        "approver",
        "--key",
        founder.public,
        cwd=empty_store.root,
    )
    assert (done.code, done.out) == (0, "Added chen.jing\n")
    assert done.err.startswith("committed ") and done.err.endswith(": team add chen.jing\n")
    committed = git(empty_store.root, "ls-tree", "-r", "--name-only", "HEAD").splitlines()
    assert {"formulactl.yaml", "team.yaml"} <= set(committed)
    shipped = sorted(path.name for path in (empty_store.root / "schemas").glob("*.schema.json"))
    assert sorted(p.removeprefix("schemas/") for p in committed if p.startswith("schemas/")) == (
        shipped
    )
    assert git(empty_store.root, "rev-list", "--count", "HEAD") == "1"
    assert signed_by(empty_store) == public(founder)
    assert git(empty_store.root, "log", "-1", "--format=%s") == (
        "team add chen.jing: 陈静 Chen Jing (founds the store)"
    )
    assert trailers(empty_store) == {
        "Action": "team-add",
        "Record": "chen.jing",
        "Meaning": "administered",
    }
    team = yamlio.load_record((empty_store.root / "team.yaml").read_bytes(), "team", 1 << 20)
    assert team["people"] == [
        {
            "id": "chen.jing",
            "name": founder.name,
            "email": "chen.jing@example.com",
            "roles": ["approver", "admin"],
            "keys": [{"key": public(founder)}],
        }
    ]
    assert git(empty_store.root, "status", "--porcelain") == ""
    assert invoke("whoami", cwd=empty_store.root).out == (
        "chen.jing (陈静 Chen Jing) <chen.jing@example.com>: admin, approver\n"
    )
    assert invoke("validate", "--history", cwd=empty_store.root).code == 0


def test_the_founding_commit_names_the_founder_as_author(
    empty_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    founder = team_keys["chen.jing"]
    invoke("setup-signing", "--key", founder.key, cwd=empty_store.root)
    assert add(invoke, empty_store, "chen.jing", founder.public, "approver").code == 0
    assert local_config(empty_store, "user.name") == "Name of chen.jing"
    assert local_config(empty_store, "user.email") == "chen.jing@example.com"
    assert git(empty_store.root, "log", "-1", "--format=%an <%ae>") == (
        "Name of chen.jing <chen.jing@example.com>"
    )


def test_the_first_person_is_refused_when_another_key_signs(
    empty_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(empty_store, team_keys["zhang.min"])
    done = add(invoke, empty_store, "chen.jing", team_keys["chen.jing"].public, "approver")
    assert (done.code, done.out, done.err) == (2, "", FOUNDING)
    assert head(empty_store) == ""
    assert (empty_store.root / "team.yaml").read_text() == "people: []\n"


def test_the_first_person_is_refused_when_signing_is_not_set_up(
    empty_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    done = add(invoke, empty_store, "chen.jing", team_keys["chen.jing"].public, "approver")
    assert (done.code, done.err) == (2, FOUNDING)
    assert head(empty_store) == ""


# ------------------------------------------------------------------ team add: a founded store


def test_an_admin_adds_a_person_in_a_signed_commit(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    newcomer = make_key(tmp_path / "keys", "newcomer")
    act_as(signed_store, team_keys["chen.jing"])
    done = add(invoke, signed_store, "zhao.lei", newcomer.with_suffix(".pub"), "entry", "reviewer")
    assert (done.code, done.out) == (0, "Added zhao.lei\n")
    assert team_ids(signed_store)[-1] == "zhao.lei"
    assert signed_by(signed_store) == public(team_keys["chen.jing"])
    assert trailers(signed_store) == {
        "Action": "team-add",
        "Record": "zhao.lei",
        "Meaning": "administered",
    }
    act_as(signed_store, Member("zhao.lei", "", (), newcomer))
    assert invoke("whoami", cwd=signed_store.root).out == (
        "zhao.lei (Name of zhao.lei) <zhao.lei@example.com>: entry, reviewer\n"
    )
    assert invoke("validate", "--history", cwd=signed_store.root).code == 0


def test_a_non_admin_adding_someone_is_refused_in_one_line_and_nothing_is_committed(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    newcomer = make_key(tmp_path / "keys", "newcomer")
    before = head(signed_store)
    done = add(invoke, signed_store, "zhao.lei", newcomer.with_suffix(".pub"))
    assert (done.code, done.out) == (2, "")
    assert done.err == "formulactl: zhang.min may not add people — only an admin changes the team\n"
    assert head(signed_store) == before
    assert "zhao.lei" not in team_ids(signed_store)
    assert git(signed_store.root, "status", "--porcelain") == ""


def test_adding_an_id_already_in_the_team_is_refused(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    newcomer = make_key(tmp_path / "keys", "newcomer")
    done = add(invoke, signed_store, "li.wei", newcomer.with_suffix(".pub"))
    assert (done.code, done.err) == (
        2,
        "formulactl: team.yaml: li.wei is already in the team — pick another ID\n",
    )
    assert head(signed_store) == before
    assert team_ids(signed_store).count("li.wei") == 1


def test_adding_a_key_that_belongs_to_someone_else_is_refused(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    done = add(invoke, signed_store, "zhao.lei", team_keys["li.wei"].public)
    assert (done.code, done.err) == (
        2,
        "formulactl: this key already belongs to li.wei — "
        "every person signs with a key of their own\n",
    )
    assert head(signed_store) == before


def test_adding_a_file_that_is_not_a_public_key_is_refused(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    notes = tmp_path / "key.txt"
    notes.write_text("my key is on the other laptop\n")
    done = add(invoke, signed_store, "zhao.lei", notes)
    assert (done.code, done.err) == (
        2,
        f"formulactl: {notes}: this is not an SSH public key — "
        "give the .pub file, such as ~/.ssh/id_ed25519.pub\n",
    )
    assert head(signed_store) == before


def test_adding_a_private_key_is_refused_without_echoing_it(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    private = make_key(tmp_path / "keys", "newcomer")
    done = add(invoke, signed_store, "zhao.lei", private)
    assert (done.code, done.err) == (
        2,
        f"formulactl: {private}: this is not an SSH public key — "
        "give the .pub file, such as ~/.ssh/id_ed25519.pub\n",
    )
    assert "PRIVATE KEY" not in done.err + done.out
    assert head(signed_store) == before
    assert "zhao.lei" not in (signed_store.root / "team.yaml").read_text()


def test_adding_an_unknown_role_is_refused(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    newcomer = make_key(tmp_path / "keys", "newcomer")
    done = add(invoke, signed_store, "zhao.lei", newcomer.with_suffix(".pub"), "boss")
    assert (done.code, done.err) == (
        2,
        "formulactl: `boss` is not a role — roles: entry, reviewer, approver, admin, auditor\n",
    )


@pytest.mark.parametrize(
    ("person_id", "email"),
    [("Zhao Lei", "zhao.lei@example.com"), ("zhao.lei", "not-an-address")],
    ids=["bad-id", "bad-email"],
)
def test_adding_a_person_with_an_id_or_email_of_the_wrong_form_commits_nothing(
    signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    tmp_path: Path,
    person_id: str,
    email: str,
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    newcomer = make_key(tmp_path / "keys", "newcomer")
    before = head(signed_store)
    done = invoke(
        "team",
        "add",
        person_id,
        "--name",
        "赵磊 Zhao Lei",
        "--email",
        email,
        "--role",
        "entry",
        "--key",
        newcomer.with_suffix(".pub"),
        cwd=signed_store.root,
    )
    assert done.code == 2
    assert done.err.count("\n") == 1
    assert head(signed_store) == before
    assert git(signed_store.root, "status", "--porcelain") == ""
    assert invoke("team", "show", cwd=signed_store.root).code == 0


# ------------------------------------------------------------------ team remove


def test_team_remove_needs_the_reason_option(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    done = invoke("team", "remove", "li.wei", cwd=signed_store.root)
    assert (done.code, done.err) == (
        2,
        "formulactl team remove: Missing option '--reason' — see `formulactl team remove --help`\n",
    )
    blank = invoke("team", "remove", "li.wei", "--reason", "  ", cwd=signed_store.root)
    assert (blank.code, blank.err) == (
        2,
        'formulactl: removing a person needs a reason — add --reason "…"\n',
    )
    assert head(signed_store) == before
    assert "li.wei" in team_ids(signed_store)


def test_team_remove_commits_the_reason_as_a_trailer(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    done = invoke("team", "remove", "li.wei", "--reason", "left the company", cwd=signed_store.root)
    assert (done.code, done.out) == (0, "Removed li.wei\n")
    assert team_ids(signed_store) == ["chen.jing", "zhang.min", "wang.fang"]
    assert git(signed_store.root, "log", "-1", "--format=%s") == "team remove li.wei"
    assert trailers(signed_store) == {
        "Action": "team-remove",
        "Record": "li.wei",
        "Meaning": "administered",
        "Reason": "left the company",
    }
    assert signed_by(signed_store) == public(team_keys["chen.jing"])
    assert invoke("validate", "--history", cwd=signed_store.root).code == 0


def test_a_removed_person_is_no_longer_recognised(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    assert invoke("team", "remove", "li.wei", "--reason", "left", cwd=signed_store.root).code == 0
    act_as(signed_store, team_keys["li.wei"])
    assert invoke("whoami", cwd=signed_store.root).code == 1
    before = head(signed_store)
    done = invoke("set", "C-00002", "industry=胶粘剂", cwd=signed_store.root)
    assert (done.code, done.err) == (
        2,
        "formulactl: you are not in this store's team — run `formulactl whoami`; "
        "an admin adds you with `formulactl team add`\n",
    )
    assert head(signed_store) == before


def test_the_last_admin_cannot_be_removed(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    done = invoke("team", "remove", "chen.jing", "--reason", "retiring", cwd=signed_store.root)
    assert (done.code, done.err) == (
        2,
        "formulactl: chen.jing is the last admin — make someone else admin first\n",
    )
    assert head(signed_store) == before


def test_removing_an_unknown_id_is_refused(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    done = invoke("team", "remove", "nobody", "--reason", "typo", cwd=signed_store.root)
    assert (done.code, done.err) == (
        2,
        "formulactl: nobody is not in the team — see `formulactl team show`\n",
    )
    assert head(signed_store) == before


def test_a_non_admin_removing_someone_is_refused(signed_store: Store, invoke: Invoke) -> None:
    before = head(signed_store)
    done = invoke("team", "remove", "li.wei", "--reason", "I said so", cwd=signed_store.root)
    assert (done.code, done.err) == (
        2,
        "formulactl: zhang.min may not remove people — only an admin changes the team\n",
    )
    assert head(signed_store) == before


# ------------------------------------------------------------------ team show


def test_team_show_lists_people_roles_and_keys(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    done = invoke("team", "show", cwd=signed_store.root)
    assert done.code == 0
    lines = done.out.splitlines()
    assert len(lines) == 8
    assert lines[0] == f"{'chen.jing':<14} {'陈静 Chen Jing':<20} admin, approver"
    assert lines[1] == f"{'':<14} {public(team_keys['chen.jing'])[:40]}…"
    assert lines[6] == f"{'li.wei':<14} {'李伟 Li Wei':<20} entry, reviewer"
    assert [line.split()[0] for line in lines[::2]] == [
        "chen.jing",
        "zhang.min",
        "wang.fang",
        "li.wei",
    ]


def test_team_show_json_gives_every_field(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    done = invoke("team", "show", "--json", cwd=signed_store.root)
    assert done.code == 0
    people = json.loads(done.out)
    assert [person["id"] for person in people] == list(team_keys)
    assert people[2] == {
        "id": "wang.fang",
        "name": "王芳 Wang Fang",
        "email": "wang.fang@example.com",
        "roles": ["approver", "entry"],
        "kinds": None,
        "customers": None,
        "keys": [{"key": public(team_keys["wang.fang"]), "valid_from": None, "valid_until": None}],
    }


# ------------------------------------------------------------------ setup-signing


def test_setup_signing_writes_only_the_repository_config(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], isolated_home: Path
) -> None:
    global_config = isolated_home / ".gitconfig"
    assert not global_config.exists()
    member = team_keys["li.wei"]
    done = invoke("setup-signing", "--key", member.key, cwd=signed_store.root)
    assert (done.code, done.out) == (0, "Commits here are signed as li.wei (李伟 Li Wei)\n")
    assert local_config(signed_store, "gpg.format") == "ssh"
    assert local_config(signed_store, "user.signingkey") == str(member.key.resolve())
    assert local_config(signed_store, "commit.gpgsign") == "true"
    assert local_config(signed_store, "user.name") == "李伟 Li Wei"
    assert local_config(signed_store, "user.email") == "li.wei@example.com"
    assert not global_config.exists()


def test_setup_signing_leaves_an_existing_global_config_as_it_was(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], isolated_home: Path
) -> None:
    global_config = isolated_home / ".gitconfig"
    global_config.write_text("[user]\n\tname = Someone Else\n\temail = someone@example.org\n")
    before = global_config.read_bytes()
    done = invoke("setup-signing", "--key", team_keys["wang.fang"].key, cwd=signed_store.root)
    assert done.code == 0
    assert global_config.read_bytes() == before
    assert local_config(signed_store, "user.email") == "wang.fang@example.com"


def test_setup_signing_refuses_a_public_key_file(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    configured = local_config(signed_store, "user.signingkey")
    pub = team_keys["li.wei"].public
    done = invoke("setup-signing", "--key", pub, cwd=signed_store.root)
    assert (done.code, done.out, done.err) == (
        2,
        "",
        f"formulactl: {pub}: this is a public key — "
        "give the private key file; its .pub file is found beside it\n",
    )
    assert local_config(signed_store, "user.signingkey") == configured


def test_setup_signing_with_a_key_outside_the_team_says_so(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    stranger = make_key(tmp_path / "keys", "stranger")
    done = invoke("setup-signing", "--key", stranger, cwd=signed_store.root)
    assert (done.code, done.out) == (0, "")
    assert done.err == (
        "This key is not in team.yaml yet: an admin adds it with `formulactl team add`, "
        "or, in a new store, add yourself as its first person.\n"
    )


# ------------------------------------------------------------------ whoami


def test_whoami_names_the_signing_person_and_roles(signed_store: Store, invoke: Invoke) -> None:
    done = invoke("whoami", cwd=signed_store.root)
    assert (done.code, done.out, done.err) == (
        0,
        "zhang.min (张敏 Zhang Min) <zhang.min@example.com>: entry\n",
        "",
    )


def test_whoami_exits_1_when_the_key_is_not_in_the_team(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    stranger = make_key(tmp_path / "keys", "stranger")
    act_as(signed_store, Member("stranger", "", (), stranger))
    done = invoke("whoami", cwd=signed_store.root)
    key = key_text(stranger.with_suffix(".pub").read_text())
    assert (done.code, done.out, done.err) == (
        1,
        "",
        f"The signing key {key[:40]}… is not in this store's team.\n",
    )


def test_whoami_exits_2_when_signing_is_not_set_up(empty_store: Store, invoke: Invoke) -> None:
    done = invoke("whoami", cwd=empty_store.root)
    assert (done.code, done.out, done.err) == (
        2,
        "",
        "Signing is not set up here: run `formulactl setup-signing --key ~/.ssh/id_ed25519`.\n",
    )


# ------------------------------------------------------------------ committing without signing


@pytest.mark.parametrize(
    "command",
    [
        ("set", "C-00002", "industry=胶粘剂"),
        ("new", "material", "--set", "name=碳酸钙"),
        ("submit", "C-00002"),
        ("feedback", "FB-20261110-9b1e", "resolved", "--resolution", "换批次"),
        ("team", "remove", "li.wei", "--reason", "left"),
    ],
    ids=lambda command: command[0],
)
def test_a_committing_command_refuses_in_one_line_when_signing_is_not_set_up(
    signed_store: Store, invoke: Invoke, command: tuple[str, ...]
) -> None:
    git(signed_store.root, "config", "--local", "--unset", "user.signingkey")
    before = head(signed_store)
    done = invoke(*command, cwd=signed_store.root)
    assert (done.code, done.out, done.err) == (2, "", NOT_SET_UP)
    assert head(signed_store) == before
    assert git(signed_store.root, "status", "--porcelain") == ""


def allow_unsigned(store: Store, admin: Member) -> None:
    """Set `allow_unsigned: true` in an admin's signed commit, then stop signing here."""
    settings = store.root / "formulactl.yaml"
    text = settings.read_text()
    assert "allow_unsigned: false\n" in text
    settings.write_text(text.replace("allow_unsigned: false\n", "allow_unsigned: true\n"))
    git(
        store.root,
        "-c",
        f"user.signingkey={admin.key}",
        "commit",
        "-q",
        "-S",
        "-m",
        "allow unsigned commits",
        "--",
        "formulactl.yaml",
    )
    git(store.root, "config", "--local", "--unset", "user.signingkey")
    store.__dict__.pop("settings", None)


def test_an_unsigned_store_commits_without_a_signature_as_the_person_with_that_email(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    allow_unsigned(signed_store, team_keys["chen.jing"])
    assert local_config(signed_store, "user.email") == "zhang.min@example.com"
    done = invoke("set", "C-00002", "industry=胶粘剂", cwd=signed_store.root)
    assert (done.code, done.out) == (0, "Saved C-00002\n")
    raw = git(signed_store.root, "cat-file", "commit", "HEAD")
    assert "gpgsig" not in raw
    assert git(signed_store.root, "log", "-1", "--format=%ae") == "zhang.min@example.com"
    assert trailers(signed_store)["Action"] == "set"


def test_an_unsigned_store_checks_the_roles_of_the_person_with_that_email(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    allow_unsigned(signed_store, team_keys["chen.jing"])
    assert invoke("submit", "C-00002", cwd=signed_store.root).code == 0
    before = head(signed_store)
    done = invoke("approve", "C-00002", cwd=signed_store.root)
    assert (done.code, done.err) == (
        2,
        "formulactl: zhang.min may not approve C-00002 — this needs the approver role for "
        "customers\n",
    )
    git(signed_store.root, "config", "--local", "user.email", "stranger@example.org")
    stranger = invoke("reject", "C-00002", "--reason", "no", cwd=signed_store.root)
    assert (stranger.code, stranger.err) == (
        2,
        "formulactl: you are not in this store's team — run `formulactl whoami`; "
        "an admin adds you with `formulactl team add`\n",
    )
    assert head(signed_store) == before


def test_an_unsigned_store_still_signs_the_commits_of_someone_who_set_up_signing(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    allow_unsigned(signed_store, team_keys["chen.jing"])
    act_as(signed_store, team_keys["zhang.min"])
    assert invoke("set", "C-00002", "industry=胶粘剂", cwd=signed_store.root).code == 0
    assert signed_by(signed_store) == public(team_keys["zhang.min"])
