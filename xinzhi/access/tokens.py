"""API tokens: created once (the secret is shown once, only its SHA-256 is stored), resolved per request.

Roles: ``committee`` (rulesets, publishing, appeals, reviews, objections, audit),
``staff`` (residents, facts, council cases, the shop), ``resident`` (their own score,
ledger and redemptions; needs ``resident``). The public board needs no token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select

from xinzhi.clock import utcnow
from xinzhi.communities.service import get_resident
from xinzhi.db.tables import ApiToken
from xinzhi.errors import NotFound, ServiceCode, ServiceError
from xinzhi.messages import Message
from xinzhi.service import Service

PREFIX = "xz_"
TOKEN_ROLES = ("committee", "staff", "resident")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's id (the audit trail's actor), roles and scope."""

    actor: str
    roles: frozenset[str] = field(default_factory=frozenset)
    community: str | None = None
    resident: str | None = None

    def has(self, *roles: str) -> bool:
        """Whether the principal holds at least one of ``roles``."""
        return bool(self.roles.intersection(roles))


ANONYMOUS = Principal(actor="anonymous")
SYSTEM = Principal(actor="system", roles=frozenset(TOKEN_ROLES))


def hash_token(token: str) -> str:
    """The SHA-256 stored (and looked up) in place of a token's secret."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedToken:
    """A token just created: ``token`` is the secret, shown this once and stored nowhere."""

    id: str
    token: str
    roles: tuple[str, ...]
    community: str | None
    resident: str | None


def create_token(service: Service, roles: list[str] | tuple[str, ...], *, community: str | None = None,
                 resident: str | None = None, label: str | None = None) -> CreatedToken:
    """Create a token; the returned secret is never stored and cannot be shown again."""
    roles = tuple(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in TOKEN_ROLES]
    if not roles or unknown:
        raise ServiceError(ServiceCode.REQUEST_INVALID, Message.of(
            "token_roles", roles=", ".join(TOKEN_ROLES), got=", ".join(roles) or Message.of("none_given")))
    if "resident" in roles and (not resident or not community):
        raise ServiceError(ServiceCode.REQUEST_INVALID, Message.of("resident_token_scope"))
    secret = PREFIX + secrets.token_urlsafe(32)
    token_id = "t" + secrets.token_hex(6)
    with service.db.writing() as session:
        if resident:
            if community is None:
                raise NotFound(ServiceCode.COMMUNITY_NOT_FOUND, Message.of("resident_without_community",
                                                                           resident=resident))
            get_resident(session, community, resident)
        session.add(ApiToken(id=token_id, token_hash=hash_token(secret), roles=list(roles), community=community,
                             resident=resident, label=label, created_at=utcnow()))
    return CreatedToken(id=token_id, token=secret, roles=roles, community=community, resident=resident)


def resolve_token(service: Service, token: str) -> Principal | None:
    """The principal of a presented token, or None if unknown or revoked."""
    with service.db.reading() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
        if row is None or row.revoked_at is not None:
            return None
        return Principal(actor=f"token:{row.id}", roles=frozenset(row.roles), community=row.community,
                         resident=row.resident)


def list_tokens(service: Service) -> list[ApiToken]:
    """Every token ever created, oldest first, revoked ones too (their secrets are not stored)."""
    with service.db.reading() as session:
        rows = list(session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)))
        session.expunge_all()
        return rows


def revoke_token(service: Service, token: str) -> str | None:
    """Revoke a token by its id, or by its label when one token in use carries it; the id revoked, or None.

    A label several tokens in use carry is refused with their ids: revoking them all by mistake
    would lock out people the operator did not mean.
    """
    with service.db.writing() as session:
        row = session.get(ApiToken, token)
        if row is None:
            named = list(session.scalars(select(ApiToken).where(ApiToken.label == token,
                                                                ApiToken.revoked_at.is_(None))))
            if len(named) > 1:
                raise ServiceError(ServiceCode.REQUEST_INVALID, Message.of(
                    "token_label_shared", n=len(named), label=token, ids=", ".join(r.id for r in named)))
            row = named[0] if named else None
        if row is None:
            return None
        row.revoked_at = row.revoked_at or utcnow()
        return row.id
