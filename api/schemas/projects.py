"""Request and response bodies of the project routes (``/projects/…``): 项目清单."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import Number, Out


class ProjectBody(BaseModel):
    code: str = Field(pattern=r"^[0-9A-Za-z_-]{1,24}$")
    name: str = Field(min_length=1, max_length=128)
    description: str = Field("", max_length=4000)
    unit: str = Field(pattern=r"^[0-9A-Za-z_-]{1,24}$", description="the paired unit's code")
    community: str = Field(pattern=r"^[0-9]{1,12}$")
    role: str = Field(description="funds (出资) or runs (承办)")


class ProjectNeedsBody(BaseModel):
    needs: list[str] = Field(min_length=1, max_length=500)


class ProjectOut(Out):
    code: str
    name: str
    description: str
    community_code: str
    community_name: str
    unit: str
    unit_name: str
    role: str
    role_label: str
    needs: int
    done: int
    progress: Number
    need_codes: list[str]


class ProjectsOut(Out):
    items: list[ProjectOut]
