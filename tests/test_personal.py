"""Masking of personal data, and which roles see it in full."""

from __future__ import annotations

import pytest

from gis.accounts import ROLE_PERMISSIONS, Permission, Role
from gis.personal import mask_name, mask_phone


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("0794-8221234", "079****1234"),
        ("8221234", "822**34"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_phone(phone: str | None, masked: str | None) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三丰", "张*丰"), ("欧阳明月", "欧**月"), ("李四", "李*"), ("王", "王"), (None, None)],
)
def test_mask_name(name: str | None, masked: str | None) -> None:
    assert mask_name(name) == masked


def test_only_roles_that_call_people_see_personal_data() -> None:
    seeing = {
        role for role, perms in ROLE_PERMISSIONS.items() if Permission.VIEW_PERSONAL_DATA in perms
    }
    assert seeing == {Role.ADMIN, Role.DEPARTMENT, Role.PARTY, Role.FIELD_WORKER}
