"""The paper-ballot file: its columns, and the checks that group its rows into complete ballots."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.records.cells import NameIndex, PersonRef, RowError, cell_text, missing_columns, whole_number
from bot.records.spreadsheets import Cell, Table
from bot.rules.domain import BallotPart, Quarter, RaterGroup
from bot.rules.scoring import ItemScore
from bot.settings import IndicatorItem

# The ballot file's column headers and accepted values: data the bureau's spreadsheets carry, in Chinese.
# 评分组 shows which weighted group the ballot counts in (SPEC 5); the import reads no group from the
# file (it follows from who rates whom) and a file without the column imports as well.
BALLOT_COLUMNS = ("季度", "评分人", "被评人", "指标类别", "指标", "满分", "得分", "评分组")
PART_NAMES = {
    "共性": BallotPart.COMMON,
    "共性指标": BallotPart.COMMON,
    "个性": BallotPart.INDIVIDUAL,
    "个性指标": BallotPart.INDIVIDUAL,
}
PART_LABELS = {BallotPart.COMMON: "共性指标", BallotPart.INDIVIDUAL: "个性指标"}


@dataclass(frozen=True)
class ExistingBallot:
    submitted: bool
    paper: bool  # a chat ballot is never compared with a file: "the same" would tell its scores
    scores: tuple[tuple[BallotPart, str, int | None], ...]


@dataclass(frozen=True)
class ParsedBallot:
    """A complete ballot from a file, ready to store."""

    line: int
    rater_id: int
    ratee_id: int
    group: RaterGroup
    common: tuple[ItemScore, ...]
    individual: tuple[ItemScore, ...]

    def scores(self) -> tuple[tuple[BallotPart, str, int | None], ...]:
        return tuple((BallotPart.COMMON, i.name, i.points) for i in self.common) + tuple(
            (BallotPart.INDIVIDUAL, i.name, i.points) for i in self.individual
        )


@dataclass
class BallotContext:
    """What the ballot rows are checked against."""

    quarter: Quarter
    people: Sequence[PersonRef]
    pairs: Mapping[tuple[int, int], RaterGroup]
    common_items: Sequence[IndicatorItem]
    individual_items: Mapping[int, Sequence[IndicatorItem]]
    existing: Mapping[tuple[int, int], ExistingBallot] = field(default_factory=dict)
    accepting: bool = True
    # For the templates: the groups each pair's ballot counts in (two for a principal who supervises
    # the ratee's section), and each person's section name.
    counts_in: Mapping[tuple[int, int], tuple[RaterGroup, ...]] = field(default_factory=dict)
    sections: Mapping[int, str] = field(default_factory=dict)

    def groups_of(self, pair: tuple[int, int]) -> tuple[RaterGroup, ...]:
        return self.counts_in.get(pair) or (self.pairs[pair],)


@dataclass
class BallotImport:
    """The outcome of checking a ballot file; `skipped` pairs had no score at all (not voted)."""

    new: list[ParsedBallot] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)


def is_ballot_sheet(table: Table) -> bool:
    """Whether a sheet is the long paper-ballot format: it names raters and ratees."""
    return {"评分人", "被评人"} <= set(table.headers)


def named_quarters(table: Table) -> list[Quarter]:
    """The quarters the 季度 column names, most named first (cells that name none left out)."""
    named: Counter[Quarter] = Counter()
    for _line, row in table.rows:
        try:
            named[Quarter.parse(cell_text(row.get("季度")))] += 1
        except ValueError:
            continue
    return [quarter for quarter, _count in named.most_common()]


def _voted_rows(table: Table, outcome: BallotImport) -> list[tuple[int, Mapping[str, Cell]]]:
    """Rows of the rater-ratee pairs that carry at least one score; a wholly blank pair was not voted."""
    pairs: dict[tuple[str, str, str], list[tuple[int, Mapping[str, Cell]]]] = defaultdict(list)
    for line, row in table.rows:
        pairs[
            (cell_text(row.get("季度")), cell_text(row.get("评分人")), cell_text(row.get("被评人")))
        ].append((line, row))
    kept = []
    for rows in pairs.values():
        if all(cell_text(row.get("得分")) == "" for _line, row in rows):
            outcome.skipped += 1
        else:
            kept += rows
    return sorted(kept, key=lambda r: r[0])


def parse_ballots(table: Table, ctx: BallotContext) -> BallotImport:
    """Check every row and group them into complete ballots; nothing is new unless there is no error."""
    outcome = BallotImport()
    outcome.errors = missing_columns(table, (*BALLOT_COLUMNS[:5], "得分"))
    if outcome.errors:
        return outcome
    if not table.rows:
        outcome.errors.append(RowError(1, "no_rows"))
        return outcome
    names = NameIndex(ctx.people)
    groups: dict[tuple[int, int], list[tuple[int, BallotPart, str, int, int | None]]] = defaultdict(list)
    for line, row in _voted_rows(table, outcome):
        parsed = _ballot_row(line, row, ctx, names, outcome.errors)
        if parsed is not None:
            rater, ratee, part, item, max_points, points = parsed
            groups[(rater.id, ratee.id)].append((line, part, item, points, max_points))
    for (rater_id, ratee_id), rows in groups.items():
        _assemble(rater_id, ratee_id, rows, ctx, outcome)
    outcome.errors.sort(key=lambda e: (e.line, e.column or ""))
    if outcome.errors:
        outcome.new.clear()
        outcome.unchanged = 0
    return outcome


def _ballot_row(line, row, ctx: BallotContext, names: NameIndex, errors: list[RowError]):
    bad = len(errors)
    quarter_text = cell_text(row.get("季度"))
    try:
        if Quarter.parse(quarter_text) != ctx.quarter:
            errors.append(
                RowError(line, "wrong_quarter", column="季度", value=quarter_text, detail=str(ctx.quarter))
            )
    except ValueError:
        errors.append(RowError(line, "bad_quarter", column="季度", value=quarter_text))
    people = []
    for column in ("评分人", "被评人"):
        text = cell_text(row.get(column))
        if not text:
            errors.append(RowError(line, "missing", column=column))
            people.append(None)
            continue
        found = names.resolve(text)
        if isinstance(found, str):
            errors.append(RowError(line, found, column=column, value=text))
            people.append(None)
        else:
            people.append(found)
    rater, ratee = people
    part_text = cell_text(row.get("指标类别"))
    part = PART_NAMES.get(part_text)
    if part is None:
        errors.append(
            RowError(line, "bad_choice", column="指标类别", value=part_text, detail="共性指标、个性指标")
        )
    item = cell_text(row.get("指标"))
    if not item:
        errors.append(RowError(line, "missing", column="指标"))
    raw = row.get("得分")
    points: int | None = None
    if raw is None or cell_text(raw) == "":
        errors.append(RowError(line, "missing", column="得分"))
    else:
        points = whole_number(raw)
        if points is None:
            errors.append(RowError(line, "score_not_int", column="得分", value=cell_text(raw)))
    if rater is not None and ratee is not None:
        if rater.id == ratee.id:
            errors.append(RowError(line, "self_rating", column="被评人", value=ratee.name))
        elif (rater.id, ratee.id) not in ctx.pairs:
            errors.append(RowError(line, "not_rater", column="评分人", value=rater.name, detail=ratee.name))
    max_points = None
    if ratee is not None and part is not None and item:
        items = ctx.common_items if part is BallotPart.COMMON else ctx.individual_items.get(ratee.id, ())
        match = next((i for i in items if i.name == item), None)
        if match is None:
            errors.append(RowError(line, "unknown_item", column="指标", value=item, detail=ratee.name))
        else:
            max_points = match.max_points
            if points is not None and not 0 <= points <= max_points:
                errors.append(
                    RowError(line, "score_range", column="得分", value=str(points), detail=str(max_points))
                )
            stated = row.get("满分")
            if stated is not None and cell_text(stated) != "" and whole_number(stated) != max_points:
                errors.append(
                    RowError(
                        line, "max_mismatch", column="满分", value=cell_text(stated), detail=str(max_points)
                    )
                )
    if len(errors) > bad:
        return None
    return rater, ratee, part, item, max_points, points


def _assemble(rater_id, ratee_id, rows, ctx: BallotContext, outcome: BallotImport) -> None:
    first_line = min(r[0] for r in rows)
    seen: dict[tuple[BallotPart, str], int] = {}
    for line, part, item, _points, _max in rows:
        if (part, item) in seen:
            outcome.errors.append(
                RowError(line, "duplicate_item", column="指标", value=item, detail=str(seen[(part, item)]))
            )
        seen.setdefault((part, item), line)
    expected = [(BallotPart.COMMON, i) for i in ctx.common_items] + [
        (BallotPart.INDIVIDUAL, i) for i in ctx.individual_items.get(ratee_id, ())
    ]
    missing = [i.name for part, i in expected if (part, i.name) not in seen]
    if missing:
        outcome.errors.append(RowError(first_line, "incomplete_ballot", value="、".join(missing)))
        return
    points = {(part, item): p for _line, part, item, p, _m in rows}
    common = tuple(
        ItemScore(i.name, points[(BallotPart.COMMON, i.name)], i.max_points) for i in ctx.common_items
    )
    individual = tuple(
        ItemScore(i.name, points[(BallotPart.INDIVIDUAL, i.name)], i.max_points)
        for i in ctx.individual_items.get(ratee_id, ())
    )
    ballot = ParsedBallot(first_line, rater_id, ratee_id, ctx.pairs[(rater_id, ratee_id)], common, individual)
    existing = ctx.existing.get((rater_id, ratee_id))
    if existing is not None and existing.submitted and not existing.paper:
        outcome.errors.append(RowError(first_line, "ballot_in_chat", column="评分人"))
    elif existing is not None and existing.submitted and existing.scores == ballot.scores():
        outcome.unchanged += 1  # the same paper ballot imported again
    elif existing is not None and existing.submitted:
        outcome.errors.append(RowError(first_line, "ballot_locked", column="评分人"))
    elif not ctx.accepting:
        outcome.errors.append(RowError(first_line, "rating_closed", column="季度", value=str(ctx.quarter)))
    else:
        outcome.new.append(ballot)
