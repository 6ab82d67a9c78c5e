"""`report suppliers`: each supplier's latest evaluation and its trend, the materials that
list it and the formulas that use those materials; a supplier disqualified by its latest
evaluation and still listed by an approved material is a finding."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from formulactl.reports.quality_common import Basis, Report
from formulactl.rules.suppliers import DISQUALIFIED, evaluations, standing
from formulactl.trace.tables import table


def suppliers_report(basis: Basis) -> Report:
    snapshot = basis.snapshot
    materials = snapshot.of("material")
    listed: dict[str, list[str]] = defaultdict(list)
    for mid, data in sorted(materials.items()):
        for supplier in _list(data.get("suppliers")):
            listed[str(supplier)].append(mid)
    used_in: dict[str, set[str]] = defaultdict(set)
    for fid, data in snapshot.of("formula").items():
        if data.get("status") == "archived":
            continue
        for line in _list(data.get("ingredients")):
            if isinstance(line, dict) and isinstance(line.get("material"), str):
                used_in[line["material"]].add(fid)
    rows, findings, at_risk = [], [], []
    for sid, data in sorted(snapshot.of("supplier").items()):
        latest, trend = _latest(data)
        mids = listed.get(sid, [])
        approved = [mid for mid in mids if materials[mid].get("status") == "approved"]
        formulas = sorted({fid for mid in mids for fid in used_in.get(mid, ())})
        why = _why(latest, trend)
        if latest.get("result") == DISQUALIFIED and approved:
            reason = f"disqualified on {latest.get('date')} but listed by approved material"
            why.insert(0, f"{reason} {', '.join(approved)}")
            findings += [(sid, mid, f"{reason} {mid}") for mid in approved]
        if latest.get("result") != "approved":
            at_risk += [
                (
                    sid,
                    mid,
                    materials[mid].get("name"),
                    materials[mid].get("status"),
                    ", ".join(sorted(used_in.get(mid, ()))),
                )
                for mid in mids
            ]
        rows.append(
            (
                sid,
                data.get("name"),
                latest.get("date"),
                latest.get("result"),
                latest.get("score"),
                trend,
                len(mids),
                len(approved),
                len(formulas),
                "; ".join(why),
            )
        )
    summary = {
        "suppliers": len(rows),
        "disqualified_still_used": len(findings),
        "results": dict(sorted(_count(row[3] for row in rows).items())),
    }
    return Report(
        "suppliers",
        basis,
        [
            table("Findings", ("supplier", "material", "why"), findings),
            table(
                "Suppliers",
                (
                    "supplier",
                    "name",
                    "evaluated",
                    "result",
                    "score",
                    "trend",
                    "materials",
                    "approved",
                    "formulas",
                    "why",
                ),
                rows,
            ),
            table(
                "What depends on suppliers not approved",
                ("supplier", "material", "name", "status", "formulas"),
                at_risk,
            ),
        ],
        summary,
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _count(values: Any) -> dict[str, int]:
    found: dict[str, int] = defaultdict(int)
    for value in values:
        found[str(value)] += 1
    return found


def mean_score(evaluation: Mapping[str, Any]) -> float | None:
    scores = evaluation.get("scores")
    values = [
        float(v)
        for v in (scores.values() if isinstance(scores, dict) else [])
        if isinstance(v, (int, float))
    ]
    if not values:
        return None
    mean = round(sum(values) / len(values), 1)
    return int(mean) if mean == int(mean) else mean


def _latest(data: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The supplier's standing (`rules.suppliers.standing`: its latest evaluation, or its
    own qualification when it has none, as `validate` judges it) with the mean score, and
    the change of that score from the evaluation before."""
    found = evaluations(data)
    now = standing(data)
    if not now.evaluated:
        return {
            "date": now.date,
            "result": now.result,
            "score": data.get("score"),
            "recorded": False,
        }, None
    latest = dict(found[-1], score=mean_score(found[-1]), recorded=True)
    trend = None
    if len(found) > 1:
        before, score = mean_score(found[-2]), latest["score"]
        if before is not None and score is not None:
            trend = f"{score - before:+.1f} pts".replace(".0 ", " ")
    return latest, trend


def _why(latest: Mapping[str, Any], trend: str | None) -> list[str]:
    why = []
    if not latest.get("recorded"):
        why.append("no evaluation recorded; from its qualification")
    if latest.get("result") == "conditional":
        why.append(f"conditional since {latest.get('date')}")
    if trend is not None and trend.startswith("-"):
        why.append(f"score down {trend[1:]}")
    return why
