"""Form templates (一表同享): a department's monthly form as a small TOML file, checked against
the field catalogue (:mod:`gis.forms.catalogue`) before anything is filled.

::

    title = "独居老人关爱服务月报表"
    department = "民政局"
    rows = "grid"                       # one row per grid (unified layer), or "community"

    [[columns]]
    title = "网格"
    field = "grid.name"

    [[columns]]
    title = "为老服务需求（件）"
    field = "needs.recorded"
    kinds = ["elderly"]

    [[columns]]
    title = "独居老人数（人）"
    hand = true                          # the data cannot fill it: left blank, needs a hand
    note = "居民底册没有独居标记"

A column names a known ``field`` (with its option, if any) or says ``hand = true``; a field
that is not in the catalogue, an option it does not take, or an unknown category or kind is an
:class:`~gis.errors.Invalid` naming the template and the column — a form is never filled from
a template half understood. The templates shipped with Gridmap live in ``gis/forms/templates/``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import Connection, text

from gis.errors import Invalid, NotFound
from gis.forms.catalogue import FIELDS, RowKind
from gis.needs.common import KINDS as NEED_KINDS

NAME = re.compile(r"[a-z0-9_]{1,40}")
CHECK_IN_KINDS = ("visit", "inspection", "key_place")
MAX_COLUMNS = 40


@dataclass(frozen=True)
class Column:
    title: str
    field: str | None  # None: needs a hand
    values: tuple[str, ...] = ()  # the option's values (categories or kinds); () = all
    note: str = ""

    @property
    def from_data(self) -> bool:
        return self.field is not None


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    department: str
    rows: RowKind
    columns: tuple[Column, ...]


def _fail(name: str, where: str, what: str) -> Invalid:
    return Invalid(f"表单模板 {name}，{where}：{what}", template=name, where=where)


def _text(spec: dict[str, Any], key: str, name: str, where: str, *, required: bool = True) -> str:
    value = spec.get(key, "" if not required else None)
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(name, where, f"缺少文字项 {key!r} (a text {key!r} is required)")
    return value.strip()


def _column(spec: Any, n: int, name: str, known: dict[str, set[str]]) -> Column:
    where = f"第 {n} 列 (column {n})"
    if not isinstance(spec, dict):
        raise _fail(name, where, "须为表 [[columns]] (a [[columns]] table)")
    title = _text(spec, "title", name, where)
    extra = sorted(set(spec) - {"title", "field", "hand", "note", "categories", "kinds"})
    if extra:
        raise _fail(name, where, f"未知的键 {', '.join(extra)} (unknown keys)")
    if spec.get("hand") is True:
        if "field" in spec:
            raise _fail(name, where, "hand 与 field 只能取一 (hand or field, not both)")
        return Column(title, None, note=_text(spec, "note", name, where, required=False))
    code = spec.get("field")
    if not isinstance(code, str) or code not in FIELDS:
        raise _fail(
            name,
            f"{where}「{title}」",
            f"未知字段 {code!r}；可用字段：{', '.join(FIELDS)}，或写 hand = true "
            f"(unknown field {code!r}; name a known field or mark the column hand = true)",
        )
    field = FIELDS[code]
    given = [k for k in ("categories", "kinds") if k in spec]
    if given and given != [field.option]:
        raise _fail(
            name,
            f"{where}「{title}」",
            f"字段 {code} 不接受 {given[0]} ({code} takes no {given[0]})",
        )
    values: tuple[str, ...] = ()
    if given:
        raw = spec[given[0]]
        if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
            raise _fail(name, where, f"{given[0]} 须为非空文字列表 (a list of text)")
        vocabulary = known["check_ins" if code == "check_ins" else field.option or ""]
        unknown = [v for v in raw if v not in vocabulary]
        if unknown:
            raise _fail(
                name,
                f"{where}「{title}」",
                f"未知的 {given[0]} {', '.join(unknown)} (unknown {given[0]})",
            )
        values = tuple(raw)
    return Column(title, code, values, _text(spec, "note", name, where, required=False))


def vocabularies(conn: Connection) -> dict[str, set[str]]:
    """The values an option may take: incident categories, need kinds, check-in kinds."""
    categories = set(conn.execute(text("SELECT code FROM incident_category")).scalars())
    return {"categories": categories, "kinds": set(NEED_KINDS), "check_ins": set(CHECK_IN_KINDS)}


def parse_template(conn: Connection, source: str, name: str) -> Template:
    """A template from TOML text, checked (see the module doc); ``name`` is used in errors."""
    try:
        spec = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise _fail(name, "TOML", f"无法解析 {error} (not valid TOML)") from None
    rows = spec.get("rows", "grid")
    if rows not in ("grid", "community"):
        raise _fail(
            name, "rows", f"须为 grid 或 community，收到 {rows!r} (rows: grid or community)"
        )
    columns = spec.get("columns")
    if not isinstance(columns, list) or not 1 <= len(columns) <= MAX_COLUMNS:
        raise _fail(name, "columns", f"须有 1 到 {MAX_COLUMNS} 列 (1–{MAX_COLUMNS} columns)")
    known = vocabularies(conn)
    parsed = tuple(_column(c, n, name, known) for n, c in enumerate(columns, start=1))
    for n, column in enumerate(parsed, start=1):
        if column.field and FIELDS[column.field].only not in (None, rows):
            raise _fail(
                name,
                f"第 {n} 列「{column.title}」",
                f"{column.field} 只用于网格行 (grid rows only)",
            )
    return Template(
        name,
        _text(spec, "title", name, "title"),
        _text(spec, "department", name, "department"),
        rows,
        parsed,
    )


def shipped_names() -> list[str]:
    """The names of the templates shipped with Gridmap (file names without ``.toml``)."""
    folder = resources.files("gis.forms") / "templates"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def shipped_template(conn: Connection, name: str) -> Template:
    """A shipped template by name (404 for another name)."""
    if not NAME.fullmatch(name) or name not in shipped_names():
        raise NotFound(
            f"没有表单 {name!r}；可用：{', '.join(shipped_names())} (no form {name!r})", form=name
        )
    source = (resources.files("gis.forms") / "templates" / f"{name}.toml").read_text("utf-8")
    return parse_template(conn, source, name)
