"""The fields a form template may name: each one a query over the shared data for one row (a
grid of the unified layer, or a community) and one month (China time).

==================  ==========================================================  =============
field               what it counts                                              options
==================  ==========================================================  =============
street.name         the street's name (街道)
community.name      the community's name (社区)
grid.code           the grid's code (grid rows only)
grid.name           the grid's name (grid rows only)
households          households of the row's base units (户数)
population          people of the row's base units (人口)
buildings           buildings of the row's base units (楼栋)
incidents.reported  incidents reported in the month (merged reports left out)   categories
incidents.solved    … closed in the month with the reporter satisfied           categories
incidents.open      … still open at the end of the month                         categories
needs.recorded      needs (三张清单) recorded in the month, not cancelled       kinds
needs.served        needs done in the month (an order done in it)               kinds
check_ins           the grid workers' check-ins in the month                   kinds
==================  ==========================================================  =============

``categories`` are incident categories (``incident_category.code``, e.g. 消防隐患), ``kinds``
need kinds (elderly, disabled…) or check-in kinds (visit, inspection, key_place); an option
left out means all. Adding a form is writing a template (:mod:`gis.forms.templates`) over these
fields; a new field is code, reviewed once, and then open to every template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RowKind = Literal["grid", "community"]

#: How each row kind reaches the things counted: the row's incidents, needs, check-ins and base
#: units (``{r}`` is replaced by the row's id column).
_OWN = {
    "grid": {
        "incident": "i.grid_id = r.id",
        "need": "n.grid_id = r.id",
        "check_in": "ci.grid_id = r.id",
        "unit": "bu.id IN (SELECT gu.unit_id FROM grid_unit gu WHERE gu.grid_id = r.id)",
    },
    "community": {
        "incident": "i.community_id = r.id",
        "need": "n.community_id = r.id",
        "check_in": "ci.grid_id IN (SELECT cg.id FROM grid cg WHERE cg.community_id = r.id)",
        "unit": "bu.community_id = r.id",
    },
}
IN_MONTH = "{col} >= :start AND {col} < :stop"


@dataclass(frozen=True)
class Field:
    """A field of the catalogue: its SQL per row kind (``{own}`` the row's link, ``{opt}`` the
    option's condition, both filled in by :func:`field_sql`), its option, and its kind."""

    code: str
    sql: str
    option: str | None = None  # 'categories' or 'kinds'
    option_column: str = ""  # what the option's values are compared with
    text: bool = False  # a name, not a count
    only: RowKind | None = None  # a field of grid rows only


_INCIDENTS = "SELECT count(*) FROM incident i WHERE {own} AND i.merged_into_id IS NULL AND {opt}"
FIELDS: dict[str, Field] = {
    f.code: f
    for f in (
        Field("street.name", "r.street_name", text=True),
        Field("community.name", "r.community_name", text=True),
        Field("grid.code", "r.code", text=True, only="grid"),
        Field("grid.name", "r.name", text=True, only="grid"),
        Field(
            "households", "(SELECT coalesce(sum(bu.households), 0) FROM base_unit bu WHERE {unit})"
        ),
        Field(
            "population", "(SELECT coalesce(sum(bu.population), 0) FROM base_unit bu WHERE {unit})"
        ),
        Field(
            "buildings",
            "(SELECT count(*) FROM building b JOIN base_unit bu ON bu.id = b.base_unit_id "
            "WHERE {unit})",
        ),
        Field(
            "incidents.reported",
            f"({_INCIDENTS} AND {IN_MONTH.format(col='i.reported_at')})",
            "categories",
            "i.category",
        ),
        Field(
            "incidents.solved",
            f"({_INCIDENTS} AND i.satisfied AND {IN_MONTH.format(col='i.evaluated_at')})",
            "categories",
            "i.category",
        ),
        Field(
            "incidents.open",
            f"({_INCIDENTS} AND i.reported_at < :stop "
            "AND (i.evaluated_at IS NULL OR i.evaluated_at >= :stop))",
            "categories",
            "i.category",
        ),
        Field(
            "needs.recorded",
            "(SELECT count(*) FROM need n WHERE {own} AND n.status <> 'cancelled' AND {opt} "
            f"AND {IN_MONTH.format(col='n.created_at')})",
            "kinds",
            "n.kind",
        ),
        Field(
            "needs.served",
            "(SELECT count(*) FROM need n WHERE {own} AND {opt} AND EXISTS (SELECT 1 FROM "
            "need_order o WHERE o.need_id = n.id AND o.state = 'done' AND "
            f"{IN_MONTH.format(col='o.done_at')}))",
            "kinds",
            "n.kind",
        ),
        Field(
            "check_ins",
            "(SELECT count(*) FROM check_in ci WHERE {own} AND {opt} "
            f"AND {IN_MONTH.format(col='ci.at')})",
            "kinds",
            "ci.kind",
        ),
    )
}
TABLE_OF = {"incidents": "incident", "needs": "need", "check_ins": "check_in"}


def field_sql(field: Field, rows: RowKind, option_param: str | None) -> str:
    """The SQL expression of ``field`` for ``rows``; ``option_param`` names the bound array of
    the option's values (None: all)."""
    head = field.code.split(".")[0]
    own = _OWN[rows][TABLE_OF[head]] if head in TABLE_OF else ""
    opt = f"{field.option_column} = ANY(:{option_param})" if option_param else "true"
    return field.sql.format(own=own, opt=opt, unit=_OWN[rows]["unit"])
