"""Adopting a standard: the bodies a community names study a draft and decide, item by item.

A community declares its bodies (``bodies`` of its configuration: 两委会, 党员大会, …), each
required or not. The committee records what each body decided at its meeting — approve,
reject, or comments only — with the day, the recorder and a comment per item. A decision is
about the draft's text as it was (its digest): a draft edited afterwards needs new decisions.
Publishing asks ``require_adopted``: every required body's latest decision on the current text
is an approval, or the answer is 409 naming the bodies still missing. The record is never
changed and stays with the published version.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinzhi.adoption.models import AdoptionRecord, BodyStatus, DecisionIn, DecisionRead
from xinzhi.communities.service import require_community
from xinzhi.db.tables import AdoptionDecision, Community, RulesetVersion
from xinzhi.engine import Problem
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.messages import Message
from xinzhi.registry.service import stored_version
from xinzhi.service import Service


def text_digest(text: str) -> str:
    """What a decision is about: the draft's text as it was when the body decided."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read(row: AdoptionDecision, current: str) -> DecisionRead:
    return DecisionRead(seq=row.seq, ruleset=f"{row.ruleset_id}@{row.version}", body=row.body,
                        decision=row.decision, held_on=row.held_on, recorded_by=row.recorded_by,
                        comments=row.comments, yaml_digest=row.yaml_digest, actor=row.actor,
                        created_at=row.created_at, current=row.yaml_digest == current)


def record_decision(service: Service, community: str, ruleset_id: str, version: int, data: DecisionIn, *,
                    actor: str) -> DecisionRead:
    """Record a body's decision on a draft (a published version's record is closed)."""
    with service.db.writing() as session:
        row = stored_version(session, community, ruleset_id, version)
        declared = {b["id"] for b in require_community(session, community).bodies or ()}
        if data.body not in declared:
            raise ServiceError(ServiceCode.BODY_NOT_DECLARED,
                               Message.of("body_not_declared", body=data.body, community=community),
                               [Problem(code=ServiceCode.BODY_NOT_DECLARED, path="body", says="body_not_declared",
                                        params={"body": data.body, "community": community},
                                        message=f"'{data.body}' is not one of the community's bodies")])
        if row.status == "published":
            raise ServiceError(ServiceCode.RULESET_PUBLISHED, Message.of("adoption_closed", ref=row.ref))
        decision = AdoptionDecision(community=community, ruleset_id=ruleset_id, version=version,
                                    yaml_digest=text_digest(row.yaml_text), body=data.body, decision=data.decision,
                                    held_on=data.held_on, recorded_by=data.recorded_by,
                                    comments=[c.model_dump() for c in data.comments], actor=actor)
        session.add(decision)
        session.flush()
        return _read(decision, decision.yaml_digest)


def _record(session: Session, community: Community, row: RulesetVersion) -> AdoptionRecord:
    current = text_digest(row.yaml_text)
    decisions = session.scalars(select(AdoptionDecision).where(
        AdoptionDecision.community == row.community, AdoptionDecision.ruleset_id == row.ruleset_id,
        AdoptionDecision.version == row.version).order_by(AdoptionDecision.seq)).all()
    bodies = []
    for body in community.bodies or ():
        own = [_read(d, current) for d in decisions if d.body == body["id"]]
        # the latest meeting's, however late its record came (a rejection, then an older approval recorded after)
        on_this_text = sorted((d for d in own if d.current), key=lambda d: (d.held_on, d.seq))
        bodies.append(BodyStatus(id=body["id"], title=body["title"], required=body.get("required", True),
                                 latest=on_this_text[-1].decision if on_this_text else None, decisions=own))
    missing = [b.title for b in bodies if b.required and b.latest != "approve"]
    return AdoptionRecord(ruleset=row.ref, status=row.status, bodies=bodies, complete=not missing, missing=missing)


def adoption_record(service: Service, community: str, ruleset_id: str, version: int) -> AdoptionRecord:
    """Where a version stands with the community's bodies (for a published one: the record it was adopted by)."""
    with service.db.reading() as session:
        row = stored_version(session, community, ruleset_id, version)
        return _record(session, require_community(session, community), row)


def require_adopted(session: Session, row: RulesetVersion) -> None:
    """Before publishing: 409 ``adoption_incomplete`` naming each required body that has not approved this text."""
    record = _record(session, require_community(session, row.community), row)
    if not record.complete:
        raise ServiceError(ServiceCode.ADOPTION_INCOMPLETE,
                           Message.of("adoption_incomplete", ref=row.ref, bodies="、".join(record.missing)),
                           [Problem(code=ServiceCode.ADOPTION_INCOMPLETE, path=f"bodies.{b.id}",
                                    message=f"{b.title} has not approved {row.ref}", says="body_not_approved",
                                    params={"body": b.title, "ref": row.ref})
                            for b in record.bodies if b.required and b.latest != "approve"],
                           extra={"missing": record.missing})
