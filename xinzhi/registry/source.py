"""The registry as a ``RulesetSource``: how the service finds a ruleset's ``extends`` parents.

A community's own version of ``id@version`` comes first (its drafts included, so a
committee can try a child and its changed parent together); otherwise the earliest
published version of any community, so another community's standard can be reused.

A published version does not look here: it keeps the parents it was published with
(``frozen``), so nothing uploaded later changes what it scores in any process.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinzhi.db.tables import RulesetVersion
from xinzhi.engine import Loader, MemorySource, RulesetSource


class RegistrySource:
    """Parents from the registry's rows, as one community sees them, within one session."""

    def __init__(self, session: Session, community: str):
        self.session = session
        self.community = community

    def find(self, ref: str) -> tuple[str, str] | None:
        """This community's version of ``ref``, else the earliest published one of any community."""
        chosen = self.row(ref)
        return (chosen.yaml_text, chosen.source_name) if chosen else None

    def row(self, ref: str) -> RulesetVersion | None:
        """The registry row ``find`` answers with."""
        ruleset_id, _, version = ref.partition("@")
        if not version.isdigit():
            return None
        rows = self.session.scalars(select(RulesetVersion).where(
            RulesetVersion.ruleset_id == ruleset_id, RulesetVersion.version == int(version))).all()
        own = [r for r in rows if r.community == self.community]
        published = sorted((r for r in rows if r.status == "published"), key=lambda r: r.seq)
        return next(iter(own or published), None)


def version_source(session: Session, row: RulesetVersion) -> RulesetSource:
    """Where a stored version finds its parents: frozen with it once published, else the registry."""
    if row.status == "published" and row.parents is not None:
        return MemorySource(row.parents)
    return RegistrySource(session, row.community)


def registry_loader(session: Session, community: str) -> Loader:
    """The engine's loader with parents from the registry (and the process's stage cache)."""
    return Loader(RegistrySource(session, community))
