"""Step 5a: party organisations and members."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .admin import GIVEN_CHARS, SURNAME_WEIGHTS, SURNAMES, Admin, unique_names, words
from .buildings import Buildings
from .common import HOUSEHOLDS_PER_MEMBER, xy_of

AGENCIES = words(
    "住建局 民政局 城管局 公安局 教育局 卫健委 财政局 人社局 交通运输局 "
    "自然资源局 生态环境局 水利局 农业农村局 商务局 文广新旅局 应急管理局 "
    "市场监管局 统计局 医保局 信访局 司法局 审计局 税务局 退役军人事务局 "
    "行政审批局 发改委 工信局 科技局 林业局 机关事务局"
)
COMPANIES = words(
    "赣东 临川 抚州 才子 汝水 玉茗 梦湖 荆公 文昌 青云 金巢 赣抚 华康 "
    "恒信 东华 宏达 兴盛 嘉和 顺丰 安信 华宇 天成 瑞丰 金源 鑫盛 博远 "
    "正和 新亚 中天 远航"
)
INDUSTRIES = words(
    "建材 物流 物业服务 电子 医药 食品 纺织 机械 汽车销售 建筑工程 置业 "
    "商贸 农业开发 新能源 环保科技 水务 燃气 公交 供电 印刷"
)
BANKS = (
    "中国银行抚州分行",
    "工商银行抚州分行",
    "建设银行抚州分行",
    "农业银行临川支行",
    "抚州农商银行",
    "邮储银行抚州分行",
    "九江银行抚州分行",
    "江西银行抚州分行",
)
PHONE_PREFIXES = np.r_[130:140, 150:154, 155:160, 180:184, 185:190]  # 13x, 15x, 18x


@dataclass
class Party:
    """Party organisations and members (members are fake but treated as personal data)."""

    org_code: np.ndarray
    org_name: np.ndarray
    org_kind: np.ndarray
    org_comm: np.ndarray  # community code or None
    member_code: np.ndarray
    member_name: np.ndarray
    member_phone: np.ndarray
    member_org: np.ndarray
    member_comm: np.ndarray  # community index
    member_building: np.ndarray  # home building index
    member_xy: np.ndarray  # metric home position
    comm_org: np.ndarray  # organisation code of each community (by community index)


def party_organisations(
    admin: Admin, comm_hh: np.ndarray, rng: np.random.Generator, total: int = 400
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """~400 organisations: one per community (党委/党总支/党支部 by size), agencies, firms."""
    n_comm = len(admin.comm_code)
    comm_order = np.argsort(admin.comm_code)
    level = np.where(comm_hh > 3500, "党委", np.where(comm_hh > 1200, "党总支", "党支部"))
    names = [f"{admin.comm_name[c]}{level[c]}" for c in comm_order]
    kinds = ["community"] * n_comm
    comms: list[str | None] = [admin.comm_code[c] for c in comm_order]
    n_agency = 120
    agency_pool = [
        f"{lvl}{a}机关{part}"
        for lvl in ("市", "临川区", "东乡区")
        for a in AGENCIES
        for part in ("党支部", "第一党支部", "第二党支部")
    ]
    names += unique_names(agency_pool, n_agency, rng)
    kinds += ["agency"] * n_agency
    comms += [None] * n_agency
    n_firm = total - n_comm - n_agency
    firm_pool = [f"抚州{c}{i}有限公司党支部" for c in COMPANIES for i in INDUSTRIES]
    firm_pool += [f"江西{c}{i}股份有限公司党委" for c in COMPANIES[:10] for i in INDUSTRIES]
    firms = unique_names(firm_pool, n_firm - len(BANKS), rng) + [b + "党委" for b in BANKS]
    names += firms
    kinds += ["enterprise"] * n_firm
    comms += [None] * n_firm
    codes = np.array([f"P{i + 1:04d}" for i in range(total)])
    return codes, np.array(names), np.array(kinds), np.array(comms, dtype=object)


def random_names(n: int, rng: np.random.Generator) -> np.ndarray:
    """Plausible Chinese names: a weighted common surname and one or two given characters."""
    sur = np.array(SURNAMES)[
        rng.choice(len(SURNAMES), size=n, p=SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum())
    ]
    g1 = np.array(GIVEN_CHARS)[rng.integers(0, len(GIVEN_CHARS), n)]
    g2 = np.array(GIVEN_CHARS)[rng.integers(0, len(GIVEN_CHARS), n)]
    two = rng.uniform(size=n) < 0.7
    given = np.where(two, np.char.add(g1, g2), g1)
    return np.char.add(sur, given)


def unique_phones(n: int, rng: np.random.Generator) -> np.ndarray:
    """Distinct 11-digit mobile numbers with 13x/15x/18x prefixes."""
    nums = np.zeros(0, dtype=np.int64)
    while len(nums) < n:
        more = PHONE_PREFIXES[rng.integers(0, len(PHONE_PREFIXES), n)] * 10**8 + rng.integers(
            0, 10**8, n
        )
        merged = np.concatenate([nums, more])
        _, first = np.unique(merged, return_index=True)
        nums = merged[np.sort(first)]
    return nums[:n].astype(str)


def build_party(admin: Admin, b: Buildings, rng: np.random.Generator) -> Party:
    """Organisations plus ≈1 member per 13 households, living in a building of their community."""
    n_comm = len(admin.comm_code)
    comm_of_building = admin.unit_comm[b.unit]
    comm_hh = np.bincount(comm_of_building, weights=b.households, minlength=n_comm)
    org_code, org_name, org_kind, org_comm = party_organisations(admin, comm_hh, rng)
    n = int(round(b.households.sum() / HOUSEHOLDS_PER_MEMBER))
    building = rng.choice(len(b.unit), size=n, p=b.households / b.households.sum())
    comm = comm_of_building[building]
    # Sort members by home community and building so codes read in a stable, local order.
    order = np.lexsort((rng.uniform(size=n), building, admin.comm_code[comm]))
    building, comm = building[order], comm[order]
    centroid = xy_of(shapely.centroid(b.geom_m[building]))
    xy = centroid + rng.normal(0.0, 3.0, size=(n, 2))
    org_of = {code: org_code[i] for i, code in enumerate(org_comm) if code is not None}
    comm_org = np.array([org_of[c] for c in admin.comm_code])
    own = comm_org[comm]
    agencies = org_code[org_kind == "agency"]
    firms = org_code[org_kind == "enterprise"]
    agency_p = rng.gamma(2.0, 1.0, len(agencies))
    firm_p = rng.gamma(2.0, 1.0, len(firms))
    which = rng.choice(3, size=n, p=[0.62, 0.26, 0.12])
    member_org = np.where(
        which == 0,
        own,
        np.where(
            which == 1,
            agencies[rng.choice(len(agencies), n, p=agency_p / agency_p.sum())],
            firms[rng.choice(len(firms), n, p=firm_p / firm_p.sum())],
        ),
    )
    return Party(
        org_code,
        org_name,
        org_kind,
        org_comm,
        np.array([f"M{i + 1:06d}" for i in range(n)]),
        random_names(n, rng),
        unique_phones(n, rng),
        member_org,
        comm,
        building,
        xy,
        comm_org,
    )
