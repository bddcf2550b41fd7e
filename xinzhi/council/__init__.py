"""The integrity council (诚信议事会): cases reported, convened and closed with satisfaction."""

from .models import CaseClose, CaseConvene, CaseRead, CaseReport, CaseStats, CaseStatus, CouncilMember
from .service import case_statistics, close_case, convene_case, get_case, list_cases, mediation_facts, report_case

__all__ = [
    "CaseClose", "CaseConvene", "CaseRead", "CaseReport", "CaseStats", "CaseStatus", "CouncilMember", "case_statistics",
    "close_case", "convene_case", "get_case", "list_cases", "mediation_facts", "report_case",
]
