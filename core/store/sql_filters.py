"""Building parameterised WHERE clauses: a term is added only when its value was given."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def add_filters(terms: list[str], params: list[Any], filters: Iterable[tuple[str, Any]]) -> None:
    """Append each `(term, value)` whose value is not None; the term holds one `?` for the value."""
    for term, value in filters:
        if value is not None:
            terms.append(term)
            params.append(value)


def rollup_filters(entity_id: str | None, domain: str | None, area_id: str | None) -> list[tuple[str, Any]]:
    """The entity / domain / area filters of a query over a rollup table aliased `r`."""
    return [
        ("r.entity_key = (SELECT id FROM entity_ids WHERE entity_id = ?)", entity_id),
        ("r.entity_key IN (SELECT id FROM entity_ids WHERE domain = ?)", domain),
        ("r.enrich_key IN (SELECT id FROM enrichments WHERE area_id = ?)", area_id),
    ]
