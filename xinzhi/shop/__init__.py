"""The credit supermarket (信用超市): items, redemptions and cancellations, never overdrawn."""

from .models import ItemCreate, ItemRead, RedemptionCreate, RedemptionRead
from .service import cancel_redemption, get_redemption, list_items, list_redemptions, put_items, redeem

__all__ = [
    "ItemCreate", "ItemRead", "RedemptionCreate", "RedemptionRead", "cancel_redemption", "get_redemption",
    "list_items", "list_redemptions", "put_items", "redeem",
]
