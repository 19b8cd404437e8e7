"""What can be imported, and the columns each kind reads (with the names counties use for them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    number: bool = False
    max_length: int | None = None

    @property
    def candidates(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


CODE = ("id", "编码", "代码", "编号", "code_")
NAME = ("名称", "name_")


def code(max_length: int, *more: str) -> Field:
    return Field("code", (*more, *CODE), required=True, max_length=max_length)


def count(name: str, *aliases: str) -> Field:
    return Field(name, aliases, number=True)


COMMUNITY = Field(
    "community_code",
    ("comm_code", "community_", "community", "社区编码", "社区代码", "村社区编码"),
    max_length=12,
)


#: The class of a road or river (主干道 … 河流, gis/linear.py) and the names files give it.
LINE_CLASS = Field("class", ("类别", "等级", "道路等级", "fclass", "road_class", "class_"))
#: The county a road or river lies in: given, or found from where the line lies.
LINE_DISTRICT = Field("district_code", ("区县编码",), max_length=6)


@dataclass(frozen=True)
class Kind:
    """An importable kind: its table, the geometry it takes and its columns."""

    name: str
    table: str
    geometry: str  # 'area' (Polygon/MultiPolygon) | 'polygon' | 'point' | 'line'
    fields: tuple[Field, ...]
    label: str


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "districts",
            "district",
            "area",
            (code(6, "district_code", "区县编码"), Field("name", NAME, required=True)),
            "districts (区县)",
        ),
        Kind(
            "streets",
            "street",
            "area",
            (
                code(9, "street_code", "街道编码"),
                Field("name", NAME, required=True),
                Field("district_code", ("区县编码",), max_length=6),
            ),
            "streets (街道/乡镇)",
        ),
        Kind(
            "communities",
            "community",
            "area",
            (
                code(12, "community_code", "社区编码"),
                Field("name", NAME, required=True),
                Field("street_code", ("街道编码",), max_length=9),
                Field("kind", ("类型",)),
            ),
            "communities (社区/村)",
        ),
        Kind(
            "units",
            "base_unit",
            "polygon",
            (
                code(24, "unit_code", "单元编码"),
                COMMUNITY,
                count("households", "户数"),
                count("population", "人口"),
                count("buildings", "楼栋数"),
                count("incidents_per_year", "incidents", "incidents_", "年事件数"),
                count("care_people", "care_ppl", "care_peopl", "关爱对象"),
            ),
            "base units (基础单元)",
        ),
        Kind(
            "layer",
            "grid",
            "area",
            (code(15, "grid_code", "网格编码"), Field("name", NAME, max_length=128)),
            "a departmental grid layer (部门网格)",
        ),
        Kind(
            "buildings",
            "building",
            "polygon",
            (
                code(32, "building_code", "楼栋编码"),
                Field("name", NAME),
                Field("unit_code", ("单元编码",), max_length=24),
                count("households", "户数"),
                count("population", "人口"),
                count("floors", "层数"),
                count("entrance_units", "entrance_u", "单元数"),
            ),
            "buildings (楼栋)",
        ),
        Kind(
            "roads",
            "linear_feature",
            "line",
            (
                code(32, "road_code", "道路编码"),
                Field("name", (*NAME, "路名", "道路名称"), max_length=128),
                LINE_CLASS,
                LINE_DISTRICT,
            ),
            "roads (道路：主干道、次干道、支路、巷道)",
        ),
        Kind(
            "rivers",
            "linear_feature",
            "line",
            (
                code(32, "river_code", "河流编码"),
                Field("name", (*NAME, "河名", "河流名称"), max_length=128),
                LINE_CLASS,
                LINE_DISTRICT,
            ),
            "rivers (河流)",
        ),
        Kind(
            "facilities",
            "facility",
            "point",
            (
                code(32, "facility_code", "设施编码"),
                Field("kind", ("类型", "设施类型", "type"), required=True),
                Field("name", (*NAME, "设施名称"), required=True, max_length=128),
                count("capacity", "容量", "床位", "座位"),
                Field("opening_hours", ("开放时间", "营业时间", "hours"), max_length=64),
                COMMUNITY,
            ),
            "service points (服务设施：助餐点、幸福院、驿站、党群服务中心、居民之家、议事厅)",
        ),
        Kind(
            "party_members",
            "party_member",
            "point",
            (
                code(16, "member_code", "党员编号"),
                Field("name", ("姓名",), required=True, max_length=32),
                Field("phone", ("电话", "手机", "手机号"), max_length=20),
                Field("organisation_code", ("org_code", "organisati", "党组织编码"), max_length=16),
                COMMUNITY,
            ),
            "party members (党员)",
        ),
        Kind(
            "incidents",
            "incident",
            "point",
            (
                code(16, "incident_code", "事件编号"),
                Field("category", ("类别", "事件类别"), required=True, max_length=32),
                Field("description", ("描述", "内容")),
                Field("reported_at", ("上报时间", "time"), required=True),
                Field("reporter_kind", ("上报人类型",), max_length=16),
                Field("department", ("部门",), max_length=64),
                Field("state", ("状态",), max_length=16),
            ),
            "incidents (事件)",
        ),
    )
}
