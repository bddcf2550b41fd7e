"""The registry as a ``RulesetSource``: how the service finds a ruleset's ``extends`` parents.

A community's own version of ``id@version`` comes first (its drafts included, so a
committee can try a child and its changed parent together); otherwise the catalogue's
shared copy of ``id@version``, if it is shared with this community. A catalogue copy brings
its own frozen chain, so its parents are read from it, never from anyone's registry.

A published version does not look here: it keeps the parents it was published with
(``frozen``), so nothing uploaded or shared later changes what it scores in any process.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinzhi.db.tables import CatalogueEntry, RulesetVersion
from xinzhi.engine import Loader, MemorySource, RulesetSource


def shared_with(entry: CatalogueEntry, community: str) -> bool:
    """Whether a community sees a catalogue entry: shared with every community, or with a group holding it.

    Not by its source: a bundle's provenance is its own word. A community sharing its standard
    is in the audience it shares with, and an importer in the audience of what it imported.
    """
    return entry.audience is None or community in entry.audience


def catalogue_entry(session: Session, community: str, ref: str) -> CatalogueEntry | None:
    """The catalogue's copy of ``id@version`` as ``community`` may see it (``None``: no such entry for it)."""
    catalogue_id, _, version = ref.partition("@")
    if not version.isdigit():
        return None
    entry = session.scalar(select(CatalogueEntry).where(CatalogueEntry.catalogue_id == catalogue_id,
                                                        CatalogueEntry.version == int(version)))
    return entry if entry is not None and shared_with(entry, community) else None


class RegistrySource:
    """Parents from the registry's rows and the catalogue, as one community sees them, within one session."""

    def __init__(self, session: Session, community: str):
        self.session = session
        self.community = community
        self.frozen: dict[str, tuple[str, str]] = {}  # the chains of catalogue copies met so far

    def find(self, ref: str) -> tuple[str, str] | None:
        """A frozen parent of a catalogue copy met on the way, else this community's version, else the catalogue's.

        Once the chain has entered a catalogue copy it stays in that copy's frozen chain: a
        community's own ``base@1`` must not replace the parent the copy was shared with.
        """
        if ref in self.frozen:
            return self.frozen[ref]
        own = self.own(ref)
        if own is not None:
            return own.yaml_text, own.source_name
        entry = catalogue_entry(self.session, self.community, ref)
        if entry is not None:
            self.frozen.update({parent: (text, name) for parent, (text, name) in entry.parents.items()})
            return entry.yaml_text, entry.source_name
        return None

    def own(self, ref: str) -> RulesetVersion | None:
        """This community's own version of ``ref``, draft or published."""
        ruleset_id, _, version = ref.partition("@")
        if not version.isdigit():
            return None
        return self.session.scalar(select(RulesetVersion).where(
            RulesetVersion.community == self.community, RulesetVersion.ruleset_id == ruleset_id,
            RulesetVersion.version == int(version)))

    def settled(self, ref: str) -> bool:
        """Whether ``ref`` can no longer change: a catalogue copy (or part of one), or published here."""
        if ref in self.frozen:
            return True
        own = self.own(ref)
        if own is not None:
            return own.status == "published"
        return catalogue_entry(self.session, self.community, ref) is not None


def version_source(session: Session, row: RulesetVersion) -> RulesetSource:
    """Where a stored version finds its parents: frozen with it once published, else the registry."""
    if row.status == "published" and row.parents is not None:
        return MemorySource(row.parents)
    return RegistrySource(session, row.community)


def registry_loader(session: Session, community: str) -> Loader:
    """The engine's loader with parents from the registry and the catalogue (and the process's stage cache)."""
    return Loader(RegistrySource(session, community))
