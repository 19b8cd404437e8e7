"""A grid's span: the admin code all its units share, so a scope's reach is read off the row.

Whether a scope (a code prefix: ``36``, ``3601``, ``360102``…) reaches a grid was a join of
every membership of every layer to its unit and its community (``Scope.grid_sql``): at province
scale (scale 0.2: 150,000 units, 72,709 grids of all layers) the provincial office's
``GET /layers`` spent 2–3 s in that join. ``grid.span`` is the longest admin code (12, 9, 6, 4,
2 digits or '') that every unit's community starts with, NULL for a grid with no unit; a scope
``P`` reaches the grid when ``span`` starts with ``P`` (entirely inside), never when neither is
a prefix of the other, and only the few grids whose span is coarser than ``P`` (a grid across a
county line, for a county) are checked unit by unit. Statement triggers on ``grid_unit`` keep it
in the writer's own transaction, whoever writes the memberships; :func:`gis.grids.refresh_grids`
sets it too (a unit's community may change under an unchanged membership).

The covering index on (layer, span) gives the layer list its figures, and the roll-ups their
grids by main community, from the index alone.

``community_tally`` holds each community's count of base units and party members; statement
triggers on ``base_unit`` and ``party_member`` (with transition tables, so a bulk load pays one
grouped statement, not a row each) keep it exact in the writer's own transaction, whichever code
writes — loader, imports, party registers, a cascade from a deleted community. The roll-ups by
city and county summed those counts over every unit and member of the province (≈ 0.5 s of
their ≈ 1 s at scale 0.2); they now read 4,000 (at scale 1: 20,000) tally rows.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

# A frozen copy of gis.grids.SPAN_SQL as it was at this revision (the code may move on).
_SPAN = """CASE WHEN {lo} IS NULL THEN NULL WHEN {lo} = {hi} THEN {lo}
    WHEN left({lo}, 9) = left({hi}, 9) THEN left({lo}, 9)
    WHEN left({lo}, 6) = left({hi}, 6) THEN left({lo}, 6)
    WHEN left({lo}, 4) = left({hi}, 4) THEN left({lo}, 4)
    WHEN left({lo}, 2) = left({hi}, 2) THEN left({lo}, 2) ELSE '' END"""

# For each counted table: the column of the tally it feeds. One function per event: PostgreSQL
# allows transition tables only on a trigger with a single event.
_COUNTED = {"base_unit": "units", "party_member": "party_members"}
_ADD = """INSERT INTO community_tally (community_id, {col})
          SELECT community_id, count(*) FROM {rows} WHERE community_id IS NOT NULL GROUP BY 1
          ON CONFLICT (community_id) DO UPDATE SET {col} = community_tally.{col} + EXCLUDED.{col}"""
_TAKE = """UPDATE community_tally t SET {col} = t.{col} - d.n
          FROM (SELECT community_id, count(*) AS n FROM {rows}
                WHERE community_id IS NOT NULL GROUP BY 1) d
          WHERE t.community_id = d.community_id"""


def _triggers(table: str, col: str) -> list[str]:
    # An update counts only rows whose community changed (a unit's households do not move it).
    moved = (
        "(SELECT o.community_id FROM {a} o JOIN {b} n ON n.id = o.id "
        "WHERE o.community_id IS DISTINCT FROM n.community_id)"
    )
    bodies = {
        "insert": _ADD.format(col=col, rows="new_rows"),
        "delete": _TAKE.format(col=col, rows="old_rows"),
        "update": _TAKE.format(col=col, rows=moved.format(a="old_rows", b="new_rows") + " m")
        + ";\n"
        + _ADD.format(col=col, rows=moved.format(a="new_rows", b="old_rows") + " m"),
    }
    referencing = {
        "insert": "NEW TABLE AS new_rows",
        "delete": "OLD TABLE AS old_rows",
        "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    out = []
    for event, body in bodies.items():
        name = f"{table}_tally_{event}"
        out.append(
            f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN {body}; RETURN NULL; END $$"""
        )
        out.append(
            f"""CREATE TRIGGER {name} AFTER {event.upper()} ON {table}
                REFERENCING {referencing[event]} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"""
        )
    return out


# A grid's span follows its memberships whoever writes them (the editor, a scenario, an import,
# a test's scratch layer): after each statement on grid_unit, the grids it touched get their span
# from their units again (NULL when left with none). gis.grids.refresh_grids sets it too, for a
# unit whose community changed under an unchanged membership.
_RESPAN = """UPDATE grid SET span = {span}
    FROM (SELECT t.id, min(c.code) AS lo, max(c.code) AS hi
          FROM (SELECT DISTINCT grid_id AS id FROM {rows}) t
          LEFT JOIN grid_unit gu ON gu.grid_id = t.id
          LEFT JOIN base_unit u ON u.id = gu.unit_id
          LEFT JOIN community c ON c.id = u.community_id GROUP BY t.id) s
    WHERE grid.id = s.id AND grid.span IS DISTINCT FROM {span}"""


def _span_triggers() -> list[str]:
    span = _SPAN.format(lo="s.lo", hi="s.hi")
    sources = {
        "insert": ("NEW TABLE AS new_rows", "new_rows"),
        "delete": ("OLD TABLE AS old_rows", "old_rows"),
        "update": (
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "(SELECT grid_id FROM old_rows UNION SELECT grid_id FROM new_rows) b",
        ),
    }
    out = []
    for event, (referencing, rows) in sources.items():
        name = f"grid_unit_span_{event}"
        out.append(
            f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN {_RESPAN.format(span=span, rows=rows)}; RETURN NULL; END $$"""
        )
        out.append(
            f"""CREATE TRIGGER {name} AFTER {event.upper()} ON grid_unit
                REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"""
        )
    return out


def upgrade() -> None:
    op.add_column("grid", sa.Column("span", sa.String(12)))
    op.execute(
        f"""UPDATE grid SET span = {_SPAN.format(lo="t.lo", hi="t.hi")}
            FROM (SELECT gu.grid_id, min(c.code) AS lo, max(c.code) AS hi
                  FROM grid_unit gu JOIN base_unit u ON u.id = gu.unit_id
                  JOIN community c ON c.id = u.community_id GROUP BY 1) t
            WHERE grid.id = t.grid_id"""
    )
    for statement in _span_triggers():
        op.execute(statement)
    op.drop_index("ix_grid_layer_figures", table_name="grid")
    op.create_index(
        "ix_grid_layer_span_figures",
        "grid",
        ["layer_id", "span"],
        postgresql_include=["id", "workload", "unit_count", "community_count", "community_id"],
    )
    op.create_table(
        "community_tally",
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("community.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("units", sa.Integer, nullable=False, server_default="0"),
        sa.Column("party_members", sa.Integer, nullable=False, server_default="0"),
    )
    for table, col in _COUNTED.items():
        op.execute(_ADD.format(col=col, rows=table))
        for statement in _triggers(table, col):
            op.execute(statement)


def downgrade() -> None:
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER grid_unit_span_{event} ON grid_unit")
        op.execute(f"DROP FUNCTION grid_unit_span_{event}()")
    for table in _COUNTED:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER {table}_tally_{event} ON {table}")
            op.execute(f"DROP FUNCTION {table}_tally_{event}()")
    op.drop_table("community_tally")
    op.drop_index("ix_grid_layer_span_figures", table_name="grid")
    op.create_index(
        "ix_grid_layer_figures",
        "grid",
        ["layer_id"],
        postgresql_include=["id", "workload", "unit_count", "community_count"],
    )
    op.drop_column("grid", "span")
