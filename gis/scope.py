"""A user's scope: the part of the admin hierarchy they may reach, and the SQL that enforces it.

Admin codes nest by prefix (DB11 style): a province has 2 digits, its cities 4, a district
(county) 6, its streets 9, their communities 12, and a community's grids 15. So a scope is a level
and a code prefix (province → city → district → street → community → grid):

============  =====================  =====================================================
level         code                   reaches
============  =====================  =====================================================
province      ``'36'``               every city and county of one province (省级)
city          ``''`` or ``'3610'``   everything, or every district under a city prefix
                                     (a 2-digit city prefix is still read, as before there
                                     was a province level; write ``province:36`` instead)
district      ``'361002'``           that district's streets, communities, units and grids
street        ``'361002001'``        that street's communities, …
community     ``'361002001001'``     that community's units and grids
grid          ``'361002001001001'``  that one grid of one layer (grid codes repeat across
                                     layers, so a grid scope names its layer) — a field worker
============  =====================  =====================================================

Every gis/ query that returns governed data takes a ``scope`` and adds the filter that fits what
it selects, so that a scope is enforced where the data are, not only hidden in a page:

- :meth:`Scope.filter_sql` — rows placed by an admin code (a community's, a street's…) that lie
  inside the scope: incidents, party members and the like, by their community's code;
- :meth:`Scope.area_sql` — outlines a user may see: the areas inside the scope and the ones that
  contain it (a field worker sees the outline of their own community, street and district);
- :meth:`Scope.grid_sql` — grids: those holding a unit inside the scope (or that one grid);
- :meth:`Scope.unit_sql` — base units inside the scope (or in that one grid).

Each returns a :class:`SqlFilter` (a condition and its bound parameters). The parameters are named
``scope_*`` and depend only on the scope, so several filters of one scope combine freely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from gis.errors import Invalid

Level = Literal["province", "city", "district", "street", "community", "grid"]
LEVELS: tuple[Level, ...] = get_args(Level)
#: Length of the code of each admin level (a city prefix is 0, 2 or 4 digits).
CODE_LENGTHS: dict[str, int] = {"district": 6, "street": 9, "community": 12}
CITY_PREFIX_LENGTHS = (0, 2, 4)
PROVINCE_CODE_LENGTH = 2
DEFAULT_GRID_LAYER = "unified"
LEVEL_NAMES: dict[str, str] = {
    "province": "全省",
    "city": "全市",
    "district": "区县",
    "street": "街道",
    "community": "社区",
    "grid": "网格",
}
_DIGITS = re.compile(r"[0-9]*")
_GRID_CODE = re.compile(r"[0-9]{12}[0-9A-Za-z]{1,12}")
_LAYER_CODE = re.compile(r"[a-z0-9_-]{1,64}")


@dataclass(frozen=True)
class SqlFilter:
    """A SQL condition with its bound parameters; ``&`` joins two."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)

    def __and__(self, other: SqlFilter) -> SqlFilter:
        return SqlFilter(f"({self.sql}) AND ({other.sql})", self.params | other.params)


ALL = SqlFilter("true")


@dataclass(frozen=True)
class Scope:
    """Where a user may reach: a level of the admin hierarchy and a code (see the module doc).

    Build one with :meth:`parse` (``'district:361002'``, ``'grid:unified/361002001001001'``) or
    the named constructors; ``str(scope)`` gives the same text back.
    """

    level: Level
    code: str = ""
    layer: str | None = None  # grid scopes only: the layer the grid belongs to

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise Invalid(
                f"未知的范围级别 {self.level!r}：可选 {', '.join(LEVELS)} "
                "("
                f"unknown scope level {self.level!r}: one of {', '.join(LEVELS)})",
                level=self.level,
            )
        if self.level == "province":
            if not _DIGITS.fullmatch(self.code) or len(self.code) != PROVINCE_CODE_LENGTH:
                raise Invalid(
                    f"省级范围需要 2 位省代码（例如 36），而不是 {self.code!r} ("
                    f"a province scope needs a 2-digit province code (e.g. 36), "
                    f"not {self.code!r})",
                    code=self.code,
                )
        elif self.level == "city":
            if not _DIGITS.fullmatch(self.code) or len(self.code) not in CITY_PREFIX_LENGTHS:
                raise Invalid(
                    "城市级范围为空（全市）或 2 位、4 位代码前缀，而不是 "
                    f"{self.code!r} ("
                    f"a city scope is empty (the whole city) or a 2- or 4-digit code prefix, "
                    f"not {self.code!r})",
                    code=self.code,
                )
        elif self.level == "grid":
            if not _GRID_CODE.fullmatch(self.code):
                raise Invalid(
                    "网格级范围需要网格代码（12 位社区代码加网格序号），而不"
                    f"是 {self.code!r} ("
                    f"a grid scope needs a grid code (a 12-digit community code and the grid's "
                    f"number), not {self.code!r})",
                    code=self.code,
                )
            if self.layer is None or not _LAYER_CODE.fullmatch(self.layer):
                raise Invalid(
                    f"网格级范围需要图层代码，而不是 {self.layer!r} ("
                    f"a grid scope needs a layer code, not {self.layer!r})"
                )
        else:
            length = CODE_LENGTHS[self.level]
            if not _DIGITS.fullmatch(self.code) or len(self.code) != length:
                raise Invalid(
                    f"{LEVEL_NAMES.get(self.level, self.level)}级范围需要 {length} 位代码，而不是 "
                    f"{self.code!r} ("
                    f"a {self.level} scope needs a {length}-digit {self.level} code, "
                    f"not {self.code!r})",
                    code=self.code,
                )
        if self.level != "grid" and self.layer is not None:
            raise Invalid(
                "只有网格级范围才指定图层 (only a grid scope names a layer)", layer=self.layer
            )

    # ------------------------------------------------------------------ construction, text

    @classmethod
    def province(cls, code: str) -> Scope:
        return cls("province", code)

    @classmethod
    def city(cls, prefix: str = "") -> Scope:
        return cls("city", prefix)

    @classmethod
    def district(cls, code: str) -> Scope:
        return cls("district", code)

    @classmethod
    def street(cls, code: str) -> Scope:
        return cls("street", code)

    @classmethod
    def community(cls, code: str) -> Scope:
        return cls("community", code)

    @classmethod
    def grid(cls, code: str, layer: str = DEFAULT_GRID_LAYER) -> Scope:
        return cls("grid", code, layer)

    @classmethod
    def of_area(cls, code: str) -> Scope:
        """The scope of an admin area named by its code alone: 6 digits a district, 9 a
        street, 12 a community (what an ``?area=`` parameter holds)."""
        levels = {length: level for level, length in CODE_LENGTHS.items()}
        if not code.isdigit() or len(code) not in levels:
            raise Invalid(
                f"地区代码须为 6、9 或 12 位数字，收到 {code!r} (an area code has 6, 9 or 12 "
                "digits)",
                area=code,
            )
        return cls(levels[len(code)], code)  # type: ignore[arg-type]

    @classmethod
    def parse(cls, text: str) -> Scope:
        """``province:36``, ``city``, ``city:3610``, ``district:361002``, ``street:…``,
        ``community:…``, ``grid:361002001001001`` (a unified grid) or
        ``grid:zongzhi/361002001001901``."""
        level, _, code = text.strip().partition(":")
        if level == "grid":
            layer, slash, grid = code.rpartition("/")
            return cls("grid", grid, layer if slash else DEFAULT_GRID_LAYER)
        if level not in LEVELS:
            raise Invalid(
                "范围的写法为 级别:代码（例如 district:361002），而不是 "
                f"{text!r} ("
                f"a scope is written level:code (e.g. district:361002), not {text!r})",
                scope=text,
            )
        return cls(level, code)  # checked just above

    def __str__(self) -> str:
        if self.level == "grid":
            return f"grid:{self.layer}/{self.code}"
        return f"{self.level}:{self.code}" if self.code else self.level

    @property
    def label(self) -> str:
        """Short Chinese label, e.g. ``区县 361002``."""
        name = LEVEL_NAMES[self.level]
        if self.level == "grid":
            return f"{name} {self.code}（{self.layer}）"
        return f"{name} {self.code}".strip()

    # ------------------------------------------------------------------ questions in Python

    @property
    def area_code(self) -> str:
        """The code of the smallest admin area holding the scope (a grid's community)."""
        return self.code[: CODE_LENGTHS["community"]] if self.level == "grid" else self.code

    @property
    def is_everything(self) -> bool:
        return self.level == "city" and not self.code

    def reaches(self, code: str) -> bool:
        """Whether an admin code (district, street, community) lies inside the scope.

        A grid scope reaches no whole area: only its grid (see :meth:`reaches_grid`).
        """
        return self.level != "grid" and code.startswith(self.code)

    def sees_area(self, code: str) -> bool:
        """Whether the outline of an admin area may be shown: inside the scope, or holding it."""
        return self.reaches(code) or self.area_code.startswith(code)

    def reaches_grid(self, layer: str, code: str, community_codes: list[str]) -> bool:
        """Whether a grid (given the communities of its units) is reached by the scope."""
        if self.level == "grid":
            return (layer, code) == (self.layer, self.code)
        return any(self.reaches(c) for c in community_codes)

    def contains(self, other: Scope) -> bool:
        """Whether ``other`` lies wholly inside this scope (an admin may only hand out those)."""
        if self.level == "grid":
            return other == self
        return other.code.startswith(self.code)

    # ------------------------------------------------------------------ SQL

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"scope_prefix": self.code, "scope_area": self.area_code}
        if self.level == "grid":
            params |= {"scope_grid": self.code, "scope_layer": self.layer}
        return params

    def filter_sql(self, code_expr: str) -> SqlFilter:
        """Rows whose admin code (``code_expr``: a community's, street's or district's code)
        lies inside the scope. A grid scope holds no whole area: the filter is false."""
        if self.is_everything:
            return ALL
        if self.level == "grid":
            return SqlFilter("false")
        return SqlFilter(f"starts_with({code_expr}, :scope_prefix)", self._params())

    def area_sql(self, code_expr: str) -> SqlFilter:
        """Admin areas (by ``code_expr``) whose outline may be shown: inside or holding it."""
        if self.is_everything:
            return ALL
        inside = "false" if self.level == "grid" else f"starts_with({code_expr}, :scope_prefix)"
        return SqlFilter(f"({inside} OR starts_with(:scope_area, {code_expr}))", self._params())

    def grid_sql(
        self, alias: str = "g", *, entirely: bool = False, one_row: bool = False
    ) -> SqlFilter:
        """Grids (table alias ``alias``) reached by the scope.

        A grid is reached when one of its units lies inside the scope (departmental grids may
        cross community lines); with ``entirely``, only when all of them do — what an edit needs.
        A grid scope reaches its one grid.

        ``one_row``: the same test, written for a check on one grid (a correlated ``EXISTS``
        that looks up that grid's units by index) rather than for filtering many (``IN``, which
        PostgreSQL hashes once: ~10–20 ms for a county of the sample city, paid in full even
        when a single grid's row asks, as a column of a ``SELECT``).
        """
        if self.is_everything:
            return ALL
        if self.level == "grid":
            return SqlFilter(
                f"{alias}.code = :scope_grid AND {alias}.layer_id = "
                "(SELECT sl.id FROM grid_layer sl WHERE sl.code = :scope_layer)",
                self._params(),
            )
        units = (
            "SELECT {what} FROM grid_unit gu JOIN base_unit su ON su.id = gu.unit_id "
            "JOIN community sc ON sc.id = su.community_id WHERE {cond}"
        )
        if one_row:
            mine = units.format(
                what="1", cond=f"gu.grid_id = {alias}.id AND starts_with(sc.code, :scope_prefix)"
            )
            sql = f"EXISTS ({mine})"
        else:
            inside = units.format(what="gu.grid_id", cond="starts_with(sc.code, :scope_prefix)")
            sql = f"{alias}.id IN ({inside})"
        if entirely:
            outside = units.format(
                what="1",
                cond=f"gu.grid_id = {alias}.id AND NOT starts_with(sc.code, :scope_prefix)",
            )
            sql += f" AND NOT EXISTS ({outside})"
        return SqlFilter(sql, self._params())

    def span_sql(self, alias: str = "g") -> SqlFilter:
        """The same grids as :meth:`grid_sql`, read off each grid's ``span`` (the admin code
        all its units share, kept by :func:`gis.grids.refresh_grids`): a grid whose span starts
        with the scope's code lies inside; one whose span is neither its prefix nor under it
        lies outside; only a grid whose span is coarser (it crosses the scope's edge) is checked
        unit by unit. Why: at province scale :meth:`grid_sql` joins every membership of every
        layer to its unit and community — seconds for the layer list."""
        if self.is_everything or self.level == "grid":
            return self.grid_sql(alias)
        edge = self.grid_sql(alias, one_row=True)
        return SqlFilter(
            f"(starts_with({alias}.span, :scope_prefix) OR (starts_with(:scope_prefix, "
            f"{alias}.span) AND {edge.sql}))",
            self._params() | edge.params,
        )

    def unit_sql(self, alias: str = "u") -> SqlFilter:
        """Base units (table alias ``alias``) inside the scope, or in the scope's grid."""
        if self.is_everything:
            return ALL
        if self.level == "grid":
            return SqlFilter(
                f"{alias}.id IN (SELECT gu.unit_id FROM grid_unit gu "
                "JOIN grid sg ON sg.id = gu.grid_id JOIN grid_layer sl ON sl.id = sg.layer_id "
                "WHERE sg.code = :scope_grid AND sl.code = :scope_layer)",
                self._params(),
            )
        return SqlFilter(
            f"{alias}.community_id IN "
            "(SELECT sc.id FROM community sc WHERE starts_with(sc.code, :scope_prefix))",
            self._params(),
        )
