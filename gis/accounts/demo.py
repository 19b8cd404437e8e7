"""Demo logins: one user per role in 临川区 of the sample city (demo mode only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from gis.accounts.records import _USER_COLUMNS, _find, _user
from gis.accounts.roles import ROLE_LABELS, Role, User
from gis.accounts.users import create_user, describe_scope
from gis.errors import NotFound
from gis.scope import Scope

if TYPE_CHECKING:
    from gis.access import Access

#: The password of every demo login (demo mode only; see ``gridmap user demo``).
DEMO_PASSWORD = "gridmap-demo"
#: The sample city's district the demo users work in: 临川区.
DEMO_DISTRICT = "361002"
#: One user per role: (user name, role, display name, scope level, department).
DEMO_USERS: tuple[tuple[str, Role, str, str, str | None], ...] = (
    ("admin", Role.ADMIN, "演示管理员", "city", None),
    ("province", Role.PROVINCE, "省级指挥中心专员", "province", None),
    ("planner", Role.PLANNER, "临川区规划员", "district", None),
    ("county", Role.COUNTY, "临川区县区专员", "district", None),
    ("department", Role.DEPARTMENT, "街道城管专员", "street", "城管局"),
    ("party", Role.PARTY, "社区党委专员", "community", None),
    ("worker", Role.FIELD_WORKER, "网格员", "grid", None),
    ("taker", Role.TAKER, "结对单位接单员", "community", None),
)


def demo_scopes(conn: Connection, district: str = DEMO_DISTRICT) -> dict[str, Scope]:
    """Scopes in the sample city: the district, its first street, that street's first
    community and that community's first unified grid."""
    row = conn.execute(
        text(
            "SELECT s.code, c.code, g.code FROM street s "
            "JOIN community c ON c.street_id = s.id "
            "JOIN grid g ON g.community_id = c.id AND g.community_count = 1 "
            "JOIN grid_layer l ON l.id = g.layer_id AND l.code = 'unified' "
            "WHERE starts_with(s.code, :d) ORDER BY s.code, c.code, g.code LIMIT 1"
        ),
        {"d": district},
    ).first()
    if row is None:
        raise NotFound(
            f"区县 {district} 的统一网格图层尚未加载：请先运行 `gridma"
            "p load-sample` ("
            f"district {district} with a unified grid layer is not loaded: "
            "run `gridmap load-sample` first)",
            district=district,
        )
    street, community, grid = row
    return {
        "province": Scope.province(district[:2]),
        "city": Scope.city(),
        "district": Scope.district(district),
        "street": Scope.street(street),
        "community": Scope.community(community),
        "grid": Scope.grid(grid),
    }


def ensure_demo_users(conn: Connection, *, access: Access) -> list[tuple[User, bool]]:
    """Create the demo users that are missing (idempotent); returns (user, created) per role.

    Existing users of those names are left as they are.
    """
    scopes = demo_scopes(conn)
    result = []
    for username, role, display_name, level, department in DEMO_USERS:
        row = _find(conn, username)
        if row is not None:
            result.append((_user(row), False))
            continue
        user = create_user(
            conn,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            scope=scopes[level],
            department=department,
            display_name=display_name,
            access=access,
        )
        result.append((user, True))
    return result


def demo_logins(conn: Connection) -> list[tuple[str, str, str]]:
    """(user name, role, scope) of the active demo users, for the log-in page in demo mode."""
    names = [u[0] for u in DEMO_USERS]
    rows = conn.execute(
        text(f"SELECT {_USER_COLUMNS} FROM app_user WHERE active AND username = ANY(:names)"),
        {"names": names},
    ).mappings()
    users = {r["username"]: _user(r) for r in rows}
    return [
        (name, ROLE_LABELS[users[name].role], describe_scope(conn, users[name].scope))
        for name in names
        if name in users
    ]
