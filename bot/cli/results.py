"""A computed quarter's proposal as a table on screen, as spreadsheet rows and as JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from bot.rendering import SCORE_PLACES, label, render
from bot.rules.domain import Category
from bot.rules.scoring import shown_group_scores, shown_score
from bot.workflow.quarter import ComputedQuarter


def _rows_by_category(computed: ComputedQuarter) -> dict[Category, list[dict[str, Any]]]:
    rows: dict[Category, list[dict[str, Any]]] = {c: [] for c in Category}
    for r in computed.proposal.ratees:
        person = computed.people[r.person_id]
        rows[r.category].append(
            {
                "result": r,
                "name": person.name,
                "section": computed.sections.get(person.section_id, ""),
                "post_title": person.post_title,
                "scores": shown_group_scores(r.group_scores, r.ballot_counts, computed.peer_minimum),
            }
        )
    for items in rows.values():
        items.sort(
            key=lambda row: (row["result"].composite is None, -(row["result"].composite or 0), row["name"])
        )
    return {c: items for c, items in rows.items() if items}


def results_table(computed: ComputedQuarter, places: int = SCORE_PLACES) -> str:
    """The proposal on screen; `places` is rules.score_places."""
    conflicts = [(c, [computed.people[i].name for i in c.person_ids]) for c in computed.proposal.conflicts]
    return render(
        "cli/results.j2",
        computed=computed,
        rows=_rows_by_category(computed),
        conflicts=conflicts,
        score_places=places,
    )


RESULT_COLUMNS = (
    "quarter",
    "name",
    "section",
    "category",
    "post_title",
    "principal_score",
    "supervisor_score",
    "peer_score",
    "principal_ballots",
    "supervisor_ballots",
    "peer_ballots",
    "composite",
    "score_tier",
    "override",
    "exempt",
    "proposed_tier",
    "final_tier",
    "rank",
    "flags",
)


def results_rows(computed: ComputedQuarter, places: int = SCORE_PLACES) -> tuple[list[str], list[list[Any]]]:
    """The proposal as spreadsheet rows with Chinese headers and labels; scores as shown, to `places`, as
    Decimals (numbers in a workbook, 94.00 in a CSV); an exempt ratee has no tier, not even by score."""
    headers = [label("column", c) for c in RESULT_COLUMNS]
    out = []
    for items in _rows_by_category(computed).values():
        for row in items:
            r = row["result"]

            def fmt(value: Any) -> Decimal | None:  # a number, as shown (rounded once); the CSV writes 94.00
                return shown_score(value, places)

            out.append(
                [
                    label("quarter", computed.quarter),
                    row["name"],
                    row["section"],
                    label("category", r.category),
                    row["post_title"],
                    fmt(row["scores"]["principal"]),
                    fmt(row["scores"]["supervisor"]),
                    fmt(row["scores"]["peer"]),
                    r.ballot_counts["principal"],
                    r.ballot_counts["supervisor"],
                    r.ballot_counts["peer"],
                    fmt(r.composite),
                    label("tier", r.score_tier) if r.score_tier and not r.exempt else "",
                    label("override", r.override),
                    "；".join(label("exempt_reason", x) for x in r.exempt_reasons),
                    "" if r.exempt else label("tier", r.proposed),
                    ""
                    if r.exempt or computed.final is None
                    else label("tier", computed.final.get(r.person_id)),
                    r.rank,
                    "；".join(label("flag", f) for f in sorted(r.flags)),
                ]
            )
    return headers, out


def _final_code(computed: ComputedQuarter, person_id: int) -> str | None:
    tier = computed.final.get(person_id) if computed.final is not None else None
    return tier.value if tier is not None else None


def results_json(computed: ComputedQuarter) -> str:
    """Machine-readable proposal: codes, not labels; decimals as strings to stay exact."""
    p = computed.proposal

    def dec(value: Any) -> str | None:
        return None if value is None else str(value)

    data = {
        "quarter": str(computed.quarter),
        "can_confirm": p.can_confirm,
        "quota": {
            c.value: {"tiered": q.tiered, "quota": q.quota, "good": q.good, "affirmed": q.affirmed}
            for c, q in p.quota.items()
        },
        "conflicts": [
            {
                "kind": c.kind.value,
                "category": c.category.value,
                "person_ids": list(c.person_ids),
                "slots": c.slots,
            }
            for c in p.conflicts
        ],
        "ratees": [
            {
                "person_id": r.person_id,
                "name": computed.people[r.person_id].name,
                "section": computed.sections.get(computed.people[r.person_id].section_id, ""),
                "category": r.category.value,
                "group_scores": {
                    g.value: dec(s)
                    for g, s in shown_group_scores(
                        r.group_scores, r.ballot_counts, computed.peer_minimum
                    ).items()
                },
                "ballot_counts": {g.value: n for g, n in r.ballot_counts.items()},
                "composite": dec(r.composite),
                "exempt_reasons": [x.value for x in r.exempt_reasons],
                "override": r.override.value if r.override else None,
                "score_tier": r.score_tier.value if r.score_tier else None,
                "proposed_tier": r.proposed.value if r.proposed else None,
                "final_tier": _final_code(computed, r.person_id),
                "rank": r.rank,
                "flags": sorted(f.value for f in r.flags),
            }
            for r in p.ratees
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)
