"""A customer's owner must be a current team member: a salesperson who left must not take
customers with them.

A store rule (it reads the team file as well as the customer), so `validate` and `due` ask
the same functions: who cannot own a customer, and who can take one over. A store whose
team file names nobody yet has no owners to check; archived customers and customers merged
into another are nobody's business any more.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from formulactl.errors import Problem
from formulactl.model.team import Team
from formulactl.rules.rules import Located


def takers(team: Team) -> tuple[str, ...]:
    """Who can take customers over: admins and those who enter customers."""
    return tuple(
        sorted(
            person.id
            for person in team.people.values()
            if person.is_admin or person.may("entry", "customer", None)
        )
    )


def orphaned(facts: Mapping[str, Any], team: Team) -> str | None:
    """The owner of a live customer who is not in the team, else None (also for a team
    file that names nobody yet, where every owner would be a stranger)."""
    owner = facts.get("owner")
    if (
        not team.people
        or not isinstance(owner, str)
        or owner in team.people
        or facts.get("merged_into")
        or facts.get("status") == "archived"
    ):
        return None
    return owner


def reassign_command(owner: str, team: Team) -> str:
    """The command that moves the owner's customers to the first person who can take them."""
    found = takers(team)
    return f'formulactl reassign --from {owner} --to {found[0] if found else "PERSON"} --reason "…"'


def stranger(customer: str, owner: str, team: Team) -> str:
    """The one sentence `validate` and entry (`new`, `set`, `edit`, `import`) say about an
    owner who is not a current team member: who it is and who could take the customer."""
    found = takers(team)
    who = ", ".join(found) if found else "nobody yet (add an account manager to the team)"
    return f"customer {customer}: owner {owner} is not a current team member; can take over: {who}"


def owner_problem(facts: Mapping[str, Any], team: Team, where: str = "") -> Problem | None:
    """The `owner-in-team` problem of one customer (None when its owner may own it), with
    the command that hands its customers to someone who can take them."""
    owner = orphaned(facts, team)
    if owner is None:
        return None
    return Problem(
        "/owner",
        "owner-in-team",
        stranger(str(facts.get("id", where)), owner, team),
        f"`{reassign_command(owner, team)}`",
    )


def check_owners(
    customers: Iterable[tuple[str, Mapping[str, Any]]], team: Team
) -> Iterator[Located]:
    """One finding per live customer whose owner is not a current team member, naming who
    can take it over and the command that does."""
    for path, facts in customers:
        problem = owner_problem(facts, team, path)
        if problem is not None:
            yield Located(path, problem)
