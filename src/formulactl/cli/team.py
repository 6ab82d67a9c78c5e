"""Team commands: team add / remove / show, setup-signing, whoami."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from formulactl.cli.common import (
    JsonOption,
    StoreOption,
    committed,
    err,
    open_store,
    out,
    print_json,
    writing,
)
from formulactl.cli.records import formulactl_command

team_app = typer.Typer(
    help="The people who enter, review, approve and administer records.", no_args_is_help=True
)
PersonId = Annotated[str, typer.Argument(metavar="ID", help="The person's ID, like li.wei.")]


def register(app: typer.Typer) -> None:
    app.add_typer(team_app, name="team")
    app.command("setup-signing")(setup_signing_command)
    app.command("whoami")(whoami)


@team_app.command("add")
def team_add(
    person_id: PersonId,
    name: Annotated[str, typer.Option("--name", help="Printed name, shown with signatures.")],
    email: Annotated[str, typer.Option("--email", help="Email address.")],
    role: Annotated[
        list[str],
        typer.Option(
            "--role", help="entry, reviewer, approver, admin or auditor; repeat for more."
        ),
    ],
    key: Annotated[
        Path, typer.Option("--key", metavar="FILE", help="The person's SSH public key file.")
    ],
    store: StoreOption = None,
) -> None:
    """Add a person (admin only; the first person added becomes the store's admin)."""
    from formulactl.actions.membership import add_person
    from formulactl.model.sshkeys import read_public_key

    found = open_store(store)
    with writing(found, f"team add {person_id}"):
        commit = add_person(found, person_id, name, email, role, read_public_key(key))
    committed(commit, f"team add {person_id}")
    out(f"Added {person_id}")


@team_app.command("remove")
def team_remove(
    person_id: PersonId,
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit trail.")],
    store: StoreOption = None,
) -> None:
    """Remove a person: their keys are not valid for any later commit."""
    from formulactl.actions.membership import remove_person

    found = open_store(store)
    with writing(found, f"team remove {person_id}"):
        commit = remove_person(found, person_id, reason)
    committed(commit, f"team remove {person_id}")
    out(f"Removed {person_id}")


@team_app.command("show")
def team_show(as_json: JsonOption = False, store: StoreOption = None) -> None:
    """List the team: roles, scopes and keys."""
    found = open_store(store)
    team = found.team
    if as_json:
        print_json(
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "email": p.email,
                    "roles": sorted(p.roles),
                    "kinds": sorted(p.kinds) if p.kinds is not None else None,
                    "customers": sorted(p.customers) if p.customers is not None else None,
                    "keys": [
                        {"key": k.key, "valid_from": k.valid_from, "valid_until": k.valid_until}
                        for k in p.keys
                    ],
                }
                for p in team.people.values()
            ]
        )
        return
    for person in team.people.values():
        scope = "" if person.kinds is None else " kinds: " + ", ".join(sorted(person.kinds))
        if person.customers is not None:
            scope += " customers: " + ", ".join(sorted(person.customers))
        out(f"{person.id:<14} {person.name:<20} {', '.join(sorted(person.roles))}{scope}")
        for key in person.keys:
            window = (
                f" (valid {key.valid_from or '…'} to {key.valid_until or '…'})"
                if (key.valid_from or key.valid_until)
                else ""
            )
            out(f"{'':<14} {key.key[:40]}…{window}")


def setup_signing_command(
    key: Annotated[Path, typer.Option("--key", metavar="FILE", help="Your SSH private key file.")],
    store: StoreOption = None,
) -> None:
    """Sign every commit in this repository with KEY (this repository's config only)."""
    from formulactl.actions.signing import setup_signing

    found = open_store(store)
    signer = setup_signing(found, key, formulactl_command())
    if signer.person is None:
        err(
            "This key is not in team.yaml yet: an admin adds it with `formulactl team add`, "
            "or, in a new store, add yourself as its first person."
        )
    else:
        out(f"Commits here are signed as {signer.person.label()}")


def whoami(store: StoreOption = None) -> None:
    """Name the person whose key signs commits here."""
    from formulactl.actions.signing import current_signer

    found = open_store(store)
    signer = current_signer(found)
    if signer is None:
        err("Signing is not set up here: run `formulactl setup-signing --key ~/.ssh/id_ed25519`.")
        raise typer.Exit(2)
    if signer.person is None:
        err(f"The signing key {signer.key[:40]}… is not in this store's team.")
        raise typer.Exit(1)
    person = signer.person
    out(f"{person.label()} <{person.email}>: {', '.join(sorted(person.roles))}")
