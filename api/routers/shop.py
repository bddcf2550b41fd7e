"""The credit supermarket: catalogue, redemptions, cancellations."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, ConfigDict, Field

from xinzhi import shop
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.shop import ItemCreate, ItemRead, RedemptionCreate, RedemptionRead

from ..access import CallerDep, acting_for
from ..bodies import StrictJsonRoute
from ..deps import CommunityId, Limit, Offset, ServiceDep

router = APIRouter(prefix="/communities/{community}/shop", tags=["shop"], route_class=StrictJsonRoute)


class CancelBody(BaseModel):
    """Why a redemption is cancelled; the whole body is optional."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, never ignored

    reason: str | None = Field(default=None, max_length=2000)


@router.get("/items")
def list_items(service: ServiceDep, community: CommunityId, active: bool = False) -> list[ItemRead]:
    """The catalogue: goods, courses (stock = seats) and services, with price and minimum tier."""
    return shop.list_items(service, community, active_only=active)


@router.put("/items")
def put_items(service: ServiceDep, community: CommunityId,
              items: Annotated[list[ItemCreate], Body(max_length=1000)]) -> list[ItemRead]:
    """Add items or update known ones (price, stock, minimum tier, active)."""
    return shop.put_items(service, community, items)


_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


@router.post("/redemptions", status_code=201,
             responses={200: {"description": "this id was redeemed before: its first result, nothing spent"}})
def redeem(service: ServiceDep, community: CommunityId, caller: CallerDep, body: RedemptionCreate,
           response: Response) -> RedemptionRead:
    """Spend points on an item (never the index); 409 when points or stock are short or the tier too low.

    Only staff date a redemption (``redeemed_at``, a paper voucher entered later): a resident
    redeems now (found by attack: dated before a 一票否决, a resident's redemption passed the
    tier the veto had lowered, and rewrote the balances since). A resident's redemption is
    numbered by a random UUID (the console's): the office's voucher numbers (V2024-0001) cannot
    be taken ahead of it, and a refused id tells nothing a resident could have guessed.
    """
    if acting_for(caller, None, community) is not None:
        if body.redeemed_at is not None:
            raise ServiceError.at(ServiceCode.REQUEST_INVALID, "redeemed_at", "redeemed_at_by_staff")
        if not _UUID.fullmatch(body.id):
            raise ServiceError.at(ServiceCode.REQUEST_INVALID, "id", "redemption_id_random")
    resident = acting_for(caller, body.resident, community)
    made = shop.redeem(service, community, body.model_copy(update={"resident": resident}), actor=caller.actor)
    if made.duplicate:
        response.status_code = 200
    return made


@router.get("/redemptions")
def list_redemptions(service: ServiceDep, community: CommunityId, caller: CallerDep, resident: str | None = None,
                     offset: Offset = 0, limit: Limit = 100) -> list[RedemptionRead]:
    """Redemptions, newest first (a resident sees only their own)."""
    return shop.list_redemptions(service, community, resident=acting_for(caller, resident, community),
                                  offset=offset, limit=limit)


@router.get("/redemptions/{redemption}")
def get_redemption(service: ServiceDep, community: CommunityId, caller: CallerDep, redemption: str) -> RedemptionRead:
    """One redemption (a resident: only their own; others look like no redemption)."""
    found = shop.get_redemption(service, community, redemption)
    if acting_for(caller, None, community) not in (None, found.resident):
        from xinzhi.errors import NotFound, ServiceCode
        from xinzhi.messages import Message
        raise NotFound(ServiceCode.REDEMPTION_NOT_FOUND, Message.of("no_redemption", redemption=redemption))
    return found


@router.post("/redemptions/{redemption}/cancel")
def cancel(service: ServiceDep, community: CommunityId, caller: CallerDep, redemption: str,
           body: CancelBody | None = None) -> RedemptionRead:
    """Refund and restock, once; a second cancellation is a 409 and changes nothing."""
    return shop.cancel_redemption(service, community, redemption, reason=body.reason if body else None,
                                   actor=caller.actor)
