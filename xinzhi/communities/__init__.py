"""Communities and their residents: who is scored, in which zone and household."""

from .models import CommunityCreate, CommunityRead, ResidentCreate, ResidentRead
from .service import (
    create_community,
    ensure_community,
    get_resident,
    list_communities,
    list_residents,
    mask_name,
    open_community,
    read_resident,
    register_residents,
    require_community,
)

__all__ = [
    "CommunityCreate", "CommunityRead", "ResidentCreate", "ResidentRead", "create_community", "ensure_community",
    "get_resident", "list_communities", "list_residents", "mask_name", "open_community", "read_resident",
    "register_residents", "require_community",
]
