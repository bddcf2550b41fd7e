"""The credit supermarket (信用超市): items, redemptions and cancellations, never overdrawn."""

from .service import cancel_redemption, get_redemption, list_items, list_redemptions, put_items, redeem
from .models import ItemCreate, ItemRead, RedemptionCreate, RedemptionRead

__all__ = ["ItemCreate", "ItemRead", "RedemptionCreate", "RedemptionRead", "cancel_redemption", "get_redemption", "list_items", "list_redemptions", "put_items", "redeem"]
