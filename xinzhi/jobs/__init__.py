"""What-if jobs as rows of the store: a queue any service process's runner claims from.

``simulations.jobs`` runs them; this package is their every read and write.
"""

from .service import (
    FINISHED,
    Job,
    add_job,
    claim_next,
    community_jobs,
    end_orphan,
    find_job,
    heartbeat,
    prune_finished,
    request_cancel,
    running_jobs,
    update_running,
)

__all__ = ["FINISHED", "Job", "add_job", "claim_next", "community_jobs", "end_orphan", "find_job", "heartbeat",
           "prune_finished", "request_cancel", "running_jobs", "update_running"]
