"""Training for `due`: courses that expired or expire soon, and people holding a role without
a course `training_required` names for it (they act in that role untrained)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from formulactl.audit.reports import DueItem

SOON_DAYS = 30


def training_items(
    team: Mapping[str, Any], settings: Mapping[str, Any], today: date, soon: int = SOON_DAYS
) -> list[DueItem]:
    """Due items (kind `training`): `retrain` for a course that expired (overdue) or expires
    within `soon` days, `train` for a required course someone never took (overdue: they
    already act in the role)."""
    required = settings.get("training_required")
    required = required if isinstance(required, dict) else {}
    stamp, horizon = today.isoformat(), (today + timedelta(days=soon)).isoformat()
    items = []
    people = team.get("people")
    for person in people if isinstance(people, list) else []:
        if not isinstance(person, dict):
            continue
        who = (str(person.get("id")),)
        taken = latest_courses(person)
        for course, entry in sorted(taken.items()):
            expires = entry.get("expires")
            if isinstance(expires, str) and expires <= horizon:
                items.append(DueItem(expires, course, "training", "retrain", who, expires < stamp))
        roles = person.get("roles")
        missing: dict[str, list[str]] = {}
        for role in roles if isinstance(roles, list) else []:
            courses = required.get(role)
            for course in courses if isinstance(courses, list) else []:
                if course not in taken:
                    missing.setdefault(str(course), []).append(str(role))
        for course, needing in sorted(missing.items()):
            label = f"{course} ({', '.join(needing)})"
            items.append(DueItem("", label, "training", "train", who, True))
    return items


def latest_courses(person: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Each course's latest completion: taking it again renews it."""
    found: dict[str, Mapping[str, Any]] = {}
    entries = person.get("training")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("course"), str):
            continue
        course = entry["course"]
        if course not in found or str(entry.get("date", "")) > str(found[course].get("date", "")):
            found[course] = entry
    return found
