"""Incidents: the 吹哨报到 workflow (transitions, deadlines, photos, admission lists).

The categories and the four admission lists (四张清单) are data, seeded here as the city we model
publishes them (12 items on the negative list); a county edits the rows, not the code. The seed
is written out literally (not imported from gis/) so that this revision stays what it was.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)

#: code, English name, department, Open311 service_code, hours to sign, hours to handle.
CATEGORIES = [
    ("环境卫生", "Sanitation", "城管局", "sanitation", 24, 72),
    ("占道经营", "Street vending", "城管局", "street_vending", 24, 72),
    ("违章搭建", "Illegal construction", "城管局", "illegal_building", 24, 360),
    ("邻里纠纷", "Neighbour dispute", "社区居委会", "neighbour_dispute", 24, 168),
    ("噪音扰民", "Noise", "生态环境局", "noise", 12, 72),
    ("路灯损坏", "Broken street light", "城管局", "street_light", 24, 72),
    ("井盖缺失", "Missing manhole cover", "城管局", "manhole_cover", 2, 24),
    ("消防隐患", "Fire hazard", "应急管理局", "fire_hazard", 2, 48),
    ("垃圾清运", "Waste collection", "城管局", "waste_collection", 12, 48),
    ("下水道堵塞", "Blocked drain", "住建局", "blocked_drain", 12, 48),
    ("物业纠纷", "Property management dispute", "住建局", "property_dispute", 24, 168),
    ("养犬扰民", "Dog nuisance", "公安分局", "dog_nuisance", 24, 72),
    ("高空抛物", "Objects thrown from height", "公安分局", "thrown_objects", 2, 48),
    ("违规停车", "Illegal parking", "公安分局", "illegal_parking", 12, 48),
    ("电动车充电", "E-bike charging indoors", "应急管理局", "ebike_charging", 2, 48),
    ("安全隐患", "Safety hazard", "应急管理局", "safety_hazard", 2, 72),
    ("矛盾纠纷", "Conflict mediation", "社区居委会", "mediation", 24, 168),
    ("政策咨询", "Policy enquiry", "社区居委会", "policy_enquiry", 24, 72),
    ("家庭困难", "Household in hardship", "民政局", "hardship", 24, 168),
    ("其他", "Other", "社区居委会", "other", 24, 168),
]

ENFORCE = "执法类事项：网格员无执法权，由执法部门直接处置"
REPAIR = "专业设施维修：网格员无处置能力，由权属部门直接处置"
DANGER = "专业安全检查：须由有资质的部门处置"
#: list, title, category (or None), department, reason.
ADMISSION = [
    ("basic", "人口、房屋等基础信息采集", None, None, ""),
    ("basic", "网格日常巡查", None, None, ""),
    ("basic", "邻里纠纷调解", "邻里纠纷", "社区居委会", ""),
    ("basic", "矛盾纠纷排查化解", "矛盾纠纷", "社区居委会", ""),
    ("basic", "政策宣传与咨询", "政策咨询", "社区居委会", ""),
    ("basic", "其他群众诉求收集", "其他", "社区居委会", ""),
    ("assisted", "协助环境卫生整治", "环境卫生", "城管局", ""),
    ("assisted", "协助垃圾清运督促", "垃圾清运", "城管局", ""),
    ("assisted", "协助安全隐患排查", "安全隐患", "应急管理局", ""),
    ("assisted", "协助疫情防控、人口普查等专项工作", None, None, ""),
    ("service", "困难家庭救助申请代办", "家庭困难", "民政局", ""),
    ("service", "法律援助进网格", None, "司法局", ""),
    ("service", "就业服务进网格", None, "人社局", ""),
    ("negative", "占道经营执法", "占道经营", "城管局", ENFORCE),
    ("negative", "违章搭建查处", "违章搭建", "城管局", ENFORCE),
    ("negative", "噪音污染执法", "噪音扰民", "生态环境局", ENFORCE),
    ("negative", "路灯维修", "路灯损坏", "城管局", REPAIR),
    ("negative", "井盖补装", "井盖缺失", "城管局", REPAIR),
    ("negative", "消防安全检查", "消防隐患", "应急管理局", DANGER),
    ("negative", "下水道疏通", "下水道堵塞", "住建局", REPAIR),
    ("negative", "物业服务监管", "物业纠纷", "住建局", "行业监管事项：由主管部门处置"),
    ("negative", "犬只管理执法", "养犬扰民", "公安分局", ENFORCE),
    ("negative", "高空抛物查处", "高空抛物", "公安分局", ENFORCE),
    ("negative", "违停车辆查处", "违规停车", "公安分局", ENFORCE),
    ("negative", "电动车违规充电查处", "电动车充电", "应急管理局", DANGER),
]


def upgrade() -> None:
    op.create_table(
        "incident_category",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name_en", sa.String(64), nullable=False),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("service_code", sa.String(32), nullable=False, unique=True),
        sa.Column("sign_hours", sa.Float, nullable=False),
        sa.Column("handle_hours", sa.Float, nullable=False),
    )
    op.create_table(
        "admission_item",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.String(128), nullable=False),
        sa.Column(
            "category",
            sa.String(32),
            sa.ForeignKey("incident_category.code", ondelete="SET NULL", onupdate="CASCADE"),
        ),
        sa.Column("department", sa.String(64)),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.CheckConstraint(
            "kind IN ('basic', 'assisted', 'service', 'negative')", name="admission_item_kind"
        ),
        sa.UniqueConstraint("kind", "position"),
    )
    op.create_index("ix_admission_item_category", "admission_item", ["category"])

    columns: list[sa.Column[Any]] = [
        sa.Column("grid_id", sa.Integer, sa.ForeignKey("grid.id", ondelete="SET NULL")),
        sa.Column("building_id", sa.Integer, sa.ForeignKey("building.id", ondelete="SET NULL")),
        sa.Column("h3_cell", sa.BigInteger),
        sa.Column("reporter_name", sa.String(32)),
        sa.Column("reporter_phone", sa.String(20)),
        sa.Column("source", sa.String(16), nullable=False, server_default="app"),
        sa.Column("source_client", sa.String(64)),
        sa.Column("routing_note", sa.Text, nullable=False, server_default=""),
        *(
            sa.Column(name, TZ)
            for name in (
                "sign_due_at",
                "due_at",
                "dispatched_at",
                "signed_at",
                "handled_at",
                "fed_back_at",
                "evaluated_at",
            )
        ),
        sa.Column("satisfied", sa.Boolean),
        sa.Column("rejections", sa.Integer, nullable=False, server_default="0"),
        sa.Column("send_backs", sa.Integer, nullable=False, server_default="0"),
        sa.Column("escalated_at", TZ),
        sa.Column("updated_at", TZ),
    ]
    for column in columns:
        op.add_column("incident", column)
    for name in ("grid_id", "building_id", "department", "due_at"):
        op.create_index(f"ix_incident_{name}", "incident", [name])
    op.create_check_constraint(
        "incident_state",
        "incident",
        "state IN ('reported', 'dispatched', 'signed', 'handled', 'fed_back', 'evaluated')",
    )

    op.create_table(
        "incident_transition",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey("incident.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16)),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("department", sa.String(64)),
    )
    op.create_index("ix_incident_transition_incident_id", "incident_transition", ["incident_id"])
    op.create_table(
        "incident_photo",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey("incident.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("path", sa.String(256), nullable=False),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", TZ, nullable=False),
    )
    op.create_index("ix_incident_photo_incident_id", "incident_photo", ["incident_id"])
    op.create_table(
        "open311_client",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("key_digest", sa.String(64), nullable=False, unique=True),
        sa.Column("scope_code", sa.String(12), nullable=False, server_default=""),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    )

    category = sa.table(
        "incident_category",
        *(
            sa.column(c)
            for c in ("code", "name_en", "department", "service_code", "sign_hours", "handle_hours")
        ),
    )
    op.bulk_insert(
        category,
        [
            dict(zip(("code", "name_en", "department", "service_code"), row[:4], strict=True))
            | {"sign_hours": float(row[4]), "handle_hours": float(row[5])}
            for row in CATEGORIES
        ],
    )
    item = sa.table(
        "admission_item",
        *(sa.column(c) for c in ("kind", "position", "title", "category", "department", "reason")),
    )
    positions: dict[str, int] = {}
    rows = []
    for kind, title, cat, department, reason in ADMISSION:
        positions[kind] = positions.get(kind, 0) + 1
        rows.append(
            {
                "kind": kind,
                "position": positions[kind],
                "title": title,
                "category": cat,
                "department": department,
                "reason": reason,
            }
        )
    op.bulk_insert(item, rows)


def downgrade() -> None:
    op.drop_table("open311_client")
    op.drop_table("incident_photo")
    op.drop_table("incident_transition")
    op.drop_constraint("incident_state", "incident", type_="check")
    for column in ("grid_id", "building_id", "department", "due_at"):
        op.drop_index(f"ix_incident_{column}", "incident")
    for name in (
        "grid_id",
        "building_id",
        "h3_cell",
        "reporter_name",
        "reporter_phone",
        "source",
        "source_client",
        "routing_note",
        "sign_due_at",
        "due_at",
        "dispatched_at",
        "signed_at",
        "handled_at",
        "fed_back_at",
        "evaluated_at",
        "satisfied",
        "rejections",
        "send_backs",
        "escalated_at",
        "updated_at",
    ):
        op.drop_column("incident", name)
    op.drop_table("admission_item")
    op.drop_table("incident_category")
