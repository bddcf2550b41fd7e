"""Who may do what: role tokens, principals and the audit trail."""

from .audit import list_audit, record_audit
from .models import AuditRead
from .tokens import (
    ANONYMOUS,
    PREFIX,
    SYSTEM,
    TOKEN_ROLES,
    CreatedToken,
    Principal,
    create_token,
    hash_token,
    resolve_token,
    revoke_token,
)

__all__ = [
    "ANONYMOUS", "AuditRead", "CreatedToken", "PREFIX", "Principal", "SYSTEM", "TOKEN_ROLES", "create_token",
    "hash_token", "list_audit", "record_audit", "resolve_token", "revoke_token",
]
