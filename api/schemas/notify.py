"""What the subscription routes take and answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Out, Stamp


class SubscriptionIn(BaseModel):
    """Be told when an incident of a grid or community (in one's scope) changes state."""

    target: Literal["grid", "community"]
    code: str = Field(pattern=r"^[0-9A-Za-z]{1,24}$", examples=["369901001001001"])
    channel: Literal["email", "webhook"]
    address: str = Field(
        max_length=512,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="an email address or an http(s) URL",
    )


class SubscriptionOut(Out):
    id: int
    target: str
    code: str
    name: str
    channel: str
    address: str
    created_at: Stamp
