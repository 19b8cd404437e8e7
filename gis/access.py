"""Who is asking: one value that every gis/ function reading or writing scoped data requires.

Access fails closed (DESIGN.md convention 13). No gis/ function has a default that means "the
whole city": a web request builds its :class:`Access` from the logged-in user
(:meth:`Access.of`), and work done without a Gridmap user — the CLI, the loaders, a script —
says so with :meth:`Access.system`, which is the only way to reach everywhere and which names
the process in the audit log.

An :class:`Access` carries three things together because they are always asked together:

- ``actor``: who is recorded in the audit log (a :class:`User`, or a ``system:…`` name);
- ``scope``: the part of the admin hierarchy they reach (:class:`gis.scope.Scope`);
- ``personal_data``: whether names and phone numbers are shown in full or masked
  (:mod:`gis.personal`).

Pass it keyword-only (``access=…``) so that a call site always says whose access it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from gis.accounts.roles import ROLE_PERMISSIONS, Permission, User
from gis.audit import Actor, actor_name, process_actor
from gis.errors import Forbidden
from gis.scope import Scope


@dataclass(frozen=True)
class Access:
    """Who asks (``actor``), where they reach (``scope``), and whether they see personal data."""

    actor: Actor
    scope: Scope
    personal_data: bool
    user: User | None = None  # None for system access
    #: permissions beyond the role's, for one request that only reads (see :meth:`granted`)
    extra: frozenset[Permission] = frozenset()

    @classmethod
    def of(cls, user: User) -> Access:
        """A logged-in user's access: their scope, and personal data only if their role may."""
        return cls(
            actor=user,
            scope=user.scope,
            personal_data=user.can(Permission.VIEW_PERSONAL_DATA),
            user=user,
        )

    @classmethod
    def system(cls, name: str | None = None, *, scope: Scope | None = None) -> Access:
        """Work done by a process, not a user (CLI, loader, script): every permission, personal
        data in full, and the whole city unless ``scope`` narrows it. ``name`` is recorded in the
        audit log (``system:<os user>`` by default)."""
        return cls(
            actor=name or process_actor(),
            scope=scope if scope is not None else Scope.city(),
            personal_data=True,
            user=None,
        )

    @property
    def is_system(self) -> bool:
        return self.user is None

    @property
    def name(self) -> str:
        """The name the audit log records."""
        return actor_name(self.actor)

    def can(self, permission: Permission) -> bool:
        if self.user is None:
            return True
        granted = permission in ROLE_PERMISSIONS[self.user.role] or permission in self.extra
        return self.user.active and granted

    def require(self, permission: Permission) -> None:
        """Raise :class:`Forbidden` unless this access carries ``permission``."""
        if self.user is not None:
            if permission in self.extra and self.user.active:
                return
            self.user.require(permission)
        elif not self.can(permission):  # pragma: no cover - system access carries everything
            raise Forbidden(f"无权执行 {permission.value} (may not {permission.value})")

    def granted(self, *permissions: Permission) -> Access:
        """The same user and scope, with ``permissions`` added for one request — a share link
        lets a department's staff read a scenario (:mod:`gis.scenarios.sharing`). Only routes
        that read may be handed such an access."""
        extra = self.extra | frozenset(permissions)
        return Access(self.actor, self.scope, self.personal_data, self.user, extra)

    def narrowed(self, scope: Scope) -> Access:
        """The same access limited to ``scope``, which must lie inside the current one."""
        if not self.scope.contains(scope):
            raise Forbidden(
                f"超出权限范围 ({scope.label} is outside {self.scope.label})", scope=str(scope)
            )
        return Access(self.actor, scope, self.personal_data, self.user, self.extra)
