"""What a user reads instead of a code: one label table per vocabulary, Chinese first.

The API, the pages (handed to their scripts as JSON), the exports, the reports and the CLI
all read these tables, so a code such as ``grid_leader`` or ``fed_back`` never reaches a page
and a label is changed in one place. Keys are the codes stored in the database.
"""

from __future__ import annotations

from collections.abc import Mapping

#: User roles (``app_user.role``).
USER_ROLES: dict[str, str] = {
    "admin": "管理员 Administrator",
    "province": "省级工作人员 Provincial office",
    "planner": "规划人员 Planner",
    "county": "县区工作人员 County staff",
    "department": "部门工作人员 Department staff",
    "party": "党组织工作人员 Party organisation staff",
    "field_worker": "网格员 Field worker",
    "taker": "接单方 Order taker",
}

#: Kinds of needs (``need.kind``), also the skills a taker offers.
NEED_KINDS: dict[str, str] = {
    "wish": "微心愿 Small wish",
    "elderly": "助老 Elderly care",
    "disabled": "助残 Disability help",
    "childcare": "托育 Childcare",
    "repair": "维修 Repairs",
    "legal": "法律 Legal advice",
    "health": "健康 Health",
    "other": "其他 Other",
}

#: Statuses of a need (``need.status``).
NEED_STATUSES: dict[str, str] = {
    "open": "待派单 Awaiting dispatch",
    "dispatched": "已派单 Dispatched",
    "accepted": "已接单 Accepted",
    "done": "已完成 Done",
    "evaluated": "已评价 Evaluated",
    "cancelled": "已撤销 Cancelled",
}

#: Kinds of takers (``need_order.taker_kind``).
TAKER_KINDS: dict[str, str] = {
    "unit": "结对单位 Paired unit",
    "member": "报到党员 Registered member",
    "team": "志愿服务队 Volunteer team",
}

#: Statuses of a council (``council.status``): how far its four steps have gone.
COUNCIL_STATUSES: dict[str, str] = {
    "raised": "已立题 Raised",
    "understood": "已了解诉求 Demand understood",
    "analysed": "已分析研判 Analysed",
    "deliberated": "已议事会商 Deliberated",
    "settled": "已落实问效 Settled",
}

#: The four steps of a council (``council_step.step``), in their order.
COUNCIL_STEPS: dict[str, str] = {
    "understand": "了解诉求 Understand the demand",
    "analyse": "分析研判 Analyse",
    "deliberate": "议事会商 Deliberate",
    "follow_up": "落实问效 Follow up",
}

#: The five parties of 五方议事厅 (``council_party.role``).
COUNCIL_PARTIES: dict[str, str] = {
    "party_committee": "社区党组织 Community party committee",
    "owners_committee": "业主委员会 Owners' committee",
    "property": "物业服务企业 Property company",
    "residents": "居民代表 Residents' representatives",
    "paired_unit": "结对共建单位 Paired unit",
}

#: Where a council sits (``council_venue.kind``).
VENUE_KINDS: dict[str, str] = {
    "home": "居民之家 Residents' home",
    "hall": "议事厅 Council hall",
    "lawn": "议事坪 Open-air council ground",
}

#: Where a council's topic came from (``council.origin``).
COUNCIL_ORIGINS: dict[str, str] = {
    "need": "群众需求 A resident's need",
    "incident": "事件升级 An escalated incident",
    "community": "社区提出 Raised in the community",
}

#: What a paired unit does for a project (``project.role``).
PROJECT_ROLES: dict[str, str] = {
    "funds": "出资 Funds it",
    "runs": "承办 Runs it",
}

#: Departmental grid layers (``grid_layer.code``) and the departments behind them.
DEPARTMENTS: dict[str, str] = {
    "zongzhi": "综治 Comprehensive governance",
    "chengguan": "城管 Urban management",
    "xinfang": "信访 Petitions",
    "dangjian": "党建 Party building",
    "minzheng": "民政 Civil affairs",
    "yingji": "应急 Emergency management",
    "unified": "统一网格 Unified",
}

#: Incident states (``incident.state``).
INCIDENT_STATES: dict[str, str] = {
    "reported": "已上报 Reported",
    "dispatched": "已派遣 Dispatched",
    "signed": "已签收 Signed",
    "handled": "已处置 Handled",
    "fed_back": "待评价 Awaiting evaluation",
    "evaluated": "已评价 Evaluated",
}

#: Incident moves (``incident_transition.action``); ``evaluate`` is shown by its outcome.
INCIDENT_ACTIONS: dict[str, str] = {
    "report": "上报 Report",
    "dispatch": "派遣 Dispatch",
    "sign": "签收 Sign",
    "reject": "退回 Send back",
    "handle": "处置 Handle",
    "feed_back": "反馈 Feed back",
    "evaluate": "评价 Evaluate",
    "escalate": "升级至街道 Escalate",
    "merge": "合并重复 Merge duplicates",
    "follow": "随主事件流转 Follows its primary",
    "import": "导入 Import",
    "evaluate_yes": "满意 Satisfied",
    "evaluate_no": "不满意 Not satisfied",
}

#: Who reported an incident (``incident.reporter_kind``).
REPORTER_KINDS: dict[str, str] = {
    "resident": "居民 Resident",
    "grid_worker": "网格员 Grid worker",
    "hotline": "热线 Hotline",
}

#: Party assignment roles (``assignment.role``).
ASSIGNMENT_ROLES: dict[str, str] = {
    "grid_leader": "网格长",
    "building_leader": "楼栋长",
    "unit_leader": "单元长",
    "cadre": "下沉干部",
}

#: Scenario and job states (``scenario.state``).
SCENARIO_STATES: dict[str, str] = {
    "queued": "排队 Queued",
    "running": "运行中 Running",
    "done": "完成 Done",
    "failed": "失败 Failed",
    "cancelled": "已取消 Cancelled",
    "adopted": "已采纳 Adopted",
}

VOCABULARIES: dict[str, dict[str, str]] = {
    "user_roles": USER_ROLES,
    "departments": DEPARTMENTS,
    "incident_states": INCIDENT_STATES,
    "incident_actions": INCIDENT_ACTIONS,
    "reporter_kinds": REPORTER_KINDS,
    "assignment_roles": ASSIGNMENT_ROLES,
    "scenario_states": SCENARIO_STATES,
}


def label(vocabulary: Mapping[str, str], code: str | None, empty: str = "") -> str:
    """The label of ``code`` in ``vocabulary``; an unknown code is shown as it is."""
    if code is None:
        return empty
    return vocabulary.get(code, code)


def chinese(vocabulary: Mapping[str, str], code: str) -> str:
    """The Chinese half of ``code``'s label, for a message whose English half names the code."""
    return label(vocabulary, code).split(" ", 1)[0]


#: Codes that are also the plain English word the pages' English halves use ("start from
#: today's unified layer"): not a leak when they appear in prose.
PROSE_WORDS = frozenset({"unified"})


def raw_codes() -> set[str]:
    """Every code with a label, as a page must never show it (the tests grep the rendered text
    of each role's pages for these words)."""
    codes = {code for table in VOCABULARIES.values() for code in table if code.isascii()}
    return codes - PROSE_WORDS
