"""The catalogue of shared standards: share a published version, browse, derive, and carry it as a bundle."""

from .bundles import export_bundle, import_bundle, read_bundle
from .models import (
    AdoptIn,
    CatalogueEntryRead,
    CatalogueEntryText,
    DeriveIn,
    OverrideStatus,
    ShareIn,
    StandardSummary,
    UpstreamPreview,
)
from .service import content_digest, derive_standard, get_entry, list_catalogue, share_standard
from .upstream import adopt_upstream, upstream_preview

__all__ = [
    "AdoptIn", "CatalogueEntryRead", "CatalogueEntryText", "DeriveIn", "OverrideStatus", "ShareIn",
    "StandardSummary", "UpstreamPreview", "adopt_upstream", "content_digest", "derive_standard", "export_bundle",
    "get_entry", "import_bundle", "list_catalogue", "read_bundle", "share_standard", "upstream_preview",
]
