"""How to read an import file and where to put it: every field has a sensible default, and the
codes among them are checked at once (:mod:`gis.codes`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gis.codes import checked
from gis.errors import Invalid
from gis.exchange.kinds import KINDS, Kind


@dataclass(frozen=True)
class ImportOptions:
    """How to read the file and where to put it; every field has a sensible default."""

    crs: str | None = None
    encoding: str | None = None
    source_layer: str | None = None  # layer of a GeoPackage/KML, sheet of a workbook
    id_column: str | None = None
    name_column: str | None = None
    community_column: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field → column of the file
    wkt_column: str | None = None
    lon_column: str | None = None
    lat_column: str | None = None
    repair: bool = False
    # A departmental layer:
    layer: str | None = None  # code of the grid layer to create or replace
    layer_name: str | None = None
    department: str | None = None
    replace: bool = False
    area: str | None = None  # admin code whose units the layer should cover

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ImportOptions:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            raise Invalid(
                f"未知的导入选项 {', '.join(unknown)}；可用选项："
                f"{', '.join(sorted(known))} ("
                f"unknown import option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))})"
            )
        return cls(**values)

    def __post_init__(self) -> None:
        if self.layer is not None:
            checked("layer", self.layer, field="layer")
        if self.area is not None:
            checked("area", self.area, field="area")
        if not isinstance(self.columns, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.columns.items()
        ):
            raise Invalid(
                "columns 须把字段对应到列名 ("
                'columns maps fields to column names, e.g. {"households": "户数"})'
            )

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, False, {}, "")}


def kind_of(name: str) -> Kind:
    if name not in KINDS:
        raise Invalid(
            f"未知的导入类型 {name!r}：可选 {', '.join(KINDS)} ("
            f"unknown import kind {name!r}: one of {', '.join(KINDS)})",
            kind=name,
        )
    return KINDS[name]
