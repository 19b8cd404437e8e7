"""Subscriptions: be told when an incident of a grid or community changes state (gis.notify).

Every logged-in user with VIEW_MAP may subscribe, to a grid or community inside their scope only
(403 otherwise); a webhook URL to a private or loopback address is a 422 naming it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path

from api.auth import MapAccess, NowDep
from api.deps import ConnDep, SettingsDep
from api.schemas.notify import SubscriptionIn, SubscriptionOut
from gis.notify.config import webhook_policy
from gis.notify.subscriptions import subscribe, subscriptions, unsubscribe

router = APIRouter(tags=["subscriptions"])


@router.get("/subscriptions", summary="My subscriptions to grids and communities")
def my_subscriptions(conn: ConnDep, access: MapAccess) -> list[SubscriptionOut]:
    return [SubscriptionOut.model_validate(asdict(s)) for s in subscriptions(conn, access=access)]


@router.post(
    "/subscriptions",
    status_code=201,
    summary="Be told when an incident of a grid or community changes state",
)
def add_subscription(
    conn: ConnDep, settings: SettingsDep, access: MapAccess, now: NowDep, body: SubscriptionIn
) -> SubscriptionOut:
    made = subscribe(
        conn,
        target=body.target,
        code=body.code,
        channel=body.channel,
        address=body.address,
        policy=webhook_policy(settings.notify),
        now=now,
        access=access,
    )
    return SubscriptionOut.model_validate(asdict(made))


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="Unsubscribe")
def remove_subscription(
    conn: ConnDep,
    access: MapAccess,
    subscription_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> None:
    unsubscribe(conn, subscription_id, access=access)
