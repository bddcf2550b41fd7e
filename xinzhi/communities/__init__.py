"""Communities and their residents: who is scored, in which zone and household."""

from .models import (
    COMMUNITY_ID,
    CommunityConfiguration,
    CommunityCreate,
    CommunityRead,
    Label,
    ResidentCreate,
    ResidentRead,
)
from .rosters import RosterImport, import_roster, roster_template
from .service import (
    check_zone,
    create_community,
    ensure_community,
    get_community,
    get_resident,
    list_communities,
    list_residents,
    mask_name,
    moved_in_days,
    open_community,
    read_resident,
    register_residents,
    require_community,
    titles,
)

__all__ = [
    "COMMUNITY_ID", "CommunityConfiguration", "CommunityCreate", "CommunityRead", "Label", "ResidentCreate",
    "ResidentRead", "RosterImport", "check_zone", "create_community", "ensure_community", "get_community",
    "get_resident", "import_roster", "list_communities", "list_residents", "mask_name", "moved_in_days",
    "open_community", "read_resident", "register_residents", "require_community", "roster_template", "titles",
]
