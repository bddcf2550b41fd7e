"""Who may do what: role tokens, principals and the audit trail."""

from .audit import AuditNote, auditing, list_audit, open_note, record_audit
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
    list_tokens,
    resolve_token,
    revoke_token,
)

__all__ = [
    "ANONYMOUS", "AuditNote", "AuditRead", "CreatedToken", "PREFIX", "Principal", "SYSTEM", "TOKEN_ROLES",
    "auditing", "create_token", "hash_token", "list_audit", "list_tokens", "open_note", "record_audit",
    "resolve_token", "revoke_token",
]
