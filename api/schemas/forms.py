"""Bodies of the 一表同享 routes (``/forms``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import Out


class ReliefOut(Out):
    """A form and how much of it the data fill (减负)."""

    form: str
    title: str
    department: str
    columns: int
    from_data: list[str]
    by_hand: list[str]
    share_from_data: float


class FormsOut(Out):
    forms: list[ReliefOut]


class TemplateIn(BaseModel):
    """A department's own template, as TOML text (see gis.forms.templates)."""

    template: str = Field(min_length=1, max_length=65536)
