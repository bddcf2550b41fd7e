"""Adopting a standard: the bodies a community names decide on a draft before it can be published."""

from .models import AdoptionRecord, BodyStatus, DecisionIn, DecisionRead, ItemComment
from .service import adoption_record, record_decision, require_adopted

__all__ = ["AdoptionRecord", "BodyStatus", "DecisionIn", "DecisionRead", "ItemComment", "adoption_record",
           "record_decision", "require_adopted"]
