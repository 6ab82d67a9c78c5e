"""Contact cadence: who is due a call or a visit, by the customer's class and its owner.

A customer of class A is to be contacted every 30 days, B every 90, C every 180 (or what
`contact_interval_days` in formulactl.yaml says), counted from the last logged interaction;
the `next_date` promised in the latest interaction is due on its own. Interactions with a
customer merged into another count for the one it was merged into. A customer whose owner
has left the team is nobody's: `due` names who can take it over and the command to do so.
A consent kept only until `retain_until` is due for each contact whose personal data it
covers, from `RETENTION_NOTICE_DAYS` before that date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from formulactl.archive.identity import canonical_ids
from formulactl.audit.reports import DueItem
from formulactl.model.team import Team
from formulactl.rules.owners import orphaned, reassign_command, takers
from formulactl.rules.rules import personal_fields
from formulactl.store.cache import BlobCache
from formulactl.store.query import select_records
from formulactl.store.store import Store

DEFAULT_INTERVALS = {"A": 30, "B": 90, "C": 180}
RETENTION_NOTICE_DAYS = 30  # as for training: a month to renew a consent or erase the data


def intervals(settings: Mapping[str, Any]) -> dict[str, int]:
    """Days between contacts per class: the settings' own, else the default."""
    found = settings.get("contact_interval_days")
    return dict(DEFAULT_INTERVALS, **(found if isinstance(found, Mapping) else {}))


def cadence_items(
    customers: Mapping[str, Mapping[str, Any]],
    interactions: Iterable[Mapping[str, Any]],
    settings: Mapping[str, Any],
    today: date,
) -> list[DueItem]:
    """What is past its date: a `contact` item per live customer not contacted within its
    class's interval, and a `follow-up` item per customer whose latest interaction promised
    a `next_date` that has passed (a later interaction settles an earlier promise). A
    customer with no interaction logged has no cadence yet."""
    canonical = canonical_ids(customers)
    latest: dict[str, Mapping[str, Any]] = {}
    for interaction in interactions:
        customer, day = interaction.get("customer"), interaction.get("date")
        if not isinstance(customer, str) or not isinstance(day, str):
            continue
        target = canonical.get(customer, customer)
        held = latest.get(target)
        if held is None or (day, str(interaction.get("id"))) > (
            str(held.get("date")),
            str(held.get("id")),
        ):
            latest[target] = interaction
    every = intervals(settings)
    stamp = today.isoformat()
    items = []
    for customer_id, record in sorted(customers.items()):
        if canonical.get(customer_id, customer_id) != customer_id:
            continue
        if record.get("status") == "archived":
            continue
        owner = record.get("owner")
        who = (owner,) if isinstance(owner, str) else ()
        last = latest.get(customer_id)
        if last is None:
            continue  # nothing logged yet: no cadence to keep
        klass = str(record.get("class", ""))
        days = every.get(klass)
        last_day = str(last.get("date"))
        if days is not None:
            try:
                due = (date.fromisoformat(last_day) + timedelta(days=days)).isoformat()
            except ValueError:
                due = ""
            if due and due < stamp:
                note = (
                    f"class {klass}: every {days} days, last contact {last_day} ({last.get('id')})"
                )
                items.append(DueItem(due, customer_id, "customer", "contact", who, True, note))
        promised = last.get("next_date")
        if isinstance(promised, str) and promised < stamp:
            step = last.get("next_step")
            note = f"{customer_id} on {last_day}" + (f": {step}" if isinstance(step, str) else "")
            items.append(
                DueItem(promised, str(last.get("id")), "interaction", "follow-up", who, True, note)
            )
    return items


def orphaned_owners(customers: Mapping[str, Mapping[str, Any]], team: Team) -> list[DueItem]:
    """One item per owner who is not a current team member but still owns live customers,
    naming who can take them over and how (the same judgement as `validate`'s owner rule)."""
    owned: dict[str, list[str]] = defaultdict(list)
    for customer_id, record in sorted(customers.items()):
        owner = orphaned(record, team)
        if owner is not None:
            owned[owner].append(customer_id)
    items = []
    for owner, ids in sorted(owned.items()):
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        note = (
            f"{owner} owns {len(ids)} customer(s) ({shown}) but is not in the team: "
            f"`{reassign_command(owner, team)}`"
        )
        items.append(DueItem("", owner, "customer", "reassign", takers(team), False, note))
    return items


def retention_items(
    customers: Mapping[str, Mapping[str, Any]], today: date, soon: int = RETENTION_NOTICE_DAYS
) -> list[DueItem]:
    """A `consent` item per contact holding personal data (phone, email, wechat) whose
    customer's consent keeps it only until a `retain_until` that has passed (overdue) or
    passes within `soon` days, under the customer's owner, saying what to do (a customer
    merged into another counts too: its file still holds the data; an archived record no
    longer changes). A withdrawn consent is `validate`'s business: the data must go at once."""
    stamp, horizon = today.isoformat(), (today + timedelta(days=soon)).isoformat()
    items = []
    for customer_id, record in sorted(customers.items()):
        consent = record.get("consent")
        if record.get("status") == "archived" or not isinstance(consent, Mapping):
            continue
        if "withdrawn_on" in consent:
            continue
        until = consent.get("retain_until")
        if not isinstance(until, str) or until > horizon:
            continue
        owner = record.get("owner")
        who = (owner,) if isinstance(owner, str) else ()
        ended = until < stamp
        first = {
            "approved": f" (after `formulactl revise {customer_id} --reason …`)",
            "in_review": f" (after `formulactl reject {customer_id} --reason …`)",
        }.get(str(record.get("status")), "")
        contacts = record.get("contacts")
        for index, contact in enumerate(contacts if isinstance(contacts, list) else []):
            fields = personal_fields(contact)
            if not fields:
                continue
            unset = " ".join(f"--unset contacts[{index}].{name}" for name in fields)
            note = (
                f"contact {contact.get('name', index)}: consent {'ended' if ended else 'ends'} "
                f"{until}; renew the consent or erase the contact's personal fields with "
                f"`formulactl set {customer_id} {unset}`{first}"
            )
            items.append(DueItem(until, customer_id, "customer", "consent", who, ended, note))
    return items


def archive_due(store: Store, today: date, cache: BlobCache) -> list[DueItem]:
    """What `due` adds for the customer archive: overdue contacts and follow-ups, owners
    who have left the team, and consents whose retention ends."""
    customers = {
        record.id: record.data for record in select_records(store, "customer", [], cache).records
    }
    interactions = [
        record.data for record in select_records(store, "interaction", [], cache).records
    ]
    return [
        *cadence_items(customers, interactions, store.settings.raw, today),
        *orphaned_owners(customers, store.team),
        *retention_items(customers, today),
    ]
