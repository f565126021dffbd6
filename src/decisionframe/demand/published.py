"""The demand tables as they may be published: rules fired, hand-offs, end-to-end times.

The report, the web app's /demand page and ``demand --json --publish`` all print these
three tables, so they are made here, once, through the disclosure layer
(``decisionframe.disclosure``): each cell is sized by the DISTINCT clients behind it (one
client's many contacts are a cell of one), and complementary suppression is audited so no
hidden cell can be solved from the printed totals (#13). A saved run from before the
client counts were kept has no sizes: its cells are taken as too small and hidden.

Each function takes the saved table (a list of records) and returns rows with ``None``
where a value is hidden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from decisionframe.disclosure import protect_table

_UNKNOWN_PEOPLE = 1  # a cell whose people were not counted (an older run): never printed


def _people(row: dict[str, Any], column: str) -> int:
    value = row.get(column)
    return _UNKNOWN_PEOPLE if value is None else int(value)


def rules_rows(
    rules: Sequence[dict[str, Any]], *, all_clients: int | None, min_cell_size: int
) -> list[dict[str, Any]]:
    """Contacts per rule, published only where enough distinct clients are behind them.

    The rules' contacts add up to all contacts, which the report prints, so the table is
    protected with that total (``all_clients`` distinct clients behind it; unknown: hidden).
    """
    if not rules:
        return []
    values = [[int(r["contacts"])] for r in rules]
    people = [[_people(r, "clients")] * 2 for r in rules]
    total = _UNKNOWN_PEOPLE if all_clients is None else int(all_clients)
    people.append([total, total])
    table = protect_table(values, min_cell_size=min_cell_size, people=people)
    return [
        {"rule": r["rule"], "demand": r["demand"], "contacts": table.value(i, 0)}
        for i, r in enumerate(rules)
    ]


def handoff_rows(handoffs: Sequence[dict[str, Any]], *, min_cell_size: int) -> list[dict[str, Any]]:
    """Failure contacts after each hand-off (from unit, to unit), by distinct clients.

    Protected as one line with its total (the hand-offs' contacts add up, and a reader may
    learn the total elsewhere), so one hidden pair is never left alone to be subtracted.
    """
    if not handoffs:
        return []
    values = [[int(h["failure_contacts"]) for h in handoffs]]
    people = [[_people(h, "clients") for h in handoffs]]
    table = protect_table(values, min_cell_size=min_cell_size, people=people)
    return [
        {
            "from_unit": h["from_unit"],
            "to_unit": h["to_unit"],
            "failure_contacts": table.value(0, i),
        }
        for i, h in enumerate(handoffs)
    ]


_TIMES = ("median_days", "p85_days", "p95_days", "mean_days")
ALL_NEEDS = "all needs"


def end_to_end_rows(rows: Sequence[dict[str, Any]], *, min_cell_size: int) -> list[dict[str, Any]]:
    """Needs resolved and still open (one contact, repeat contacts, all needs), by clients.

    A 2 x 2 table with its margins (the 'all needs' row is the column totals, each row's
    needs its row total), sized by the distinct clients behind every cell and margin. The
    times describe the resolved needs of a row: published only where its resolved count is.
    """
    if not rows:
        return []
    inner = [r for r in rows if r["needs"] != ALL_NEEDS]
    total = next((r for r in rows if r["needs"] == ALL_NEEDS), None)
    if total is None or not inner:  # no parts: every row is a part, its total not printed
        inner, total = list(rows), None
    columns = ("resolved_clients", "open_clients", "clients")
    people = [[_people(r, c) for c in columns] for r in inner]
    if total is not None:
        people.append([_people(total, c) for c in columns])
    table = protect_table(
        [[int(r["resolved"]), int(r["still_open"])] for r in inner],
        min_cell_size=min_cell_size,
        people=people,
    )

    def published(line: int, r: dict[str, Any]) -> dict[str, Any]:
        resolved = table.value(line, 0)
        return {
            "needs": r["needs"],
            "resolved": resolved,
            "still_open": table.value(line, 1),
            **{key: r.get(key) if resolved is not None else None for key in _TIMES},
        }

    parts = [published(i, r) for i, r in enumerate(inner)]
    # 'all needs' first, as the table is read: the overall line (the margin), then its parts
    return parts if total is None else [published(len(inner), total), *parts]


__all__ = ["ALL_NEEDS", "end_to_end_rows", "handoff_rows", "rules_rows"]


def classifier_sentence(classifier: Mapping[str, Any]) -> str:
    """What the report and the CLI say of the staff-tagged contacts: no count of them.

    Tagged, trained-on and decided contacts say nothing of how many clients (or which
    staff) are behind them, so no disclosure rule can protect them; the CLI printed
    "Staff tagged 3 contacts" where the report said nothing (#13). One sentence, made
    here for both, with the agreement and accuracy only (shares of the staff's own
    tags, published by ``demand --json --publish`` too).
    """
    words = "Staff tagged a sample of contacts as value or failure."
    agreement = classifier.get("rules_agreement")
    if agreement is not None:
        sample = (
            "them"
            if classifier.get("trained_on") == classifier.get("labelled")
            else ("a sample of them")
        )
        words += f" The rules agree with their tags on {agreement:.0%} of {sample}."
    accuracy = float(classifier.get("cv_accuracy", 0.0))
    words += (
        f" A text classifier trained on the tags (cross-validated accuracy {accuracy:.0%}) "
        "decided the contacts the rules could only call new requests."
    )
    if classifier.get("web_labels"):
        words += " Some of the tags came from the web app's labelling queue (/labels)."
    return words
