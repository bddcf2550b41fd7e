"""``xinzhi.tuning``: a server's request threads kept on one CPU, and what it starts spread over all of them again."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import psutil

from tests.api.conftest import CIVIC_V1, make_community, serve
from tests.api.test_hostile_rulesets import server_pid
from tests.db.test_statistics import facts

#: Run in a process of its own: narrowing the CPUs of a test process's thread would slow the rest of the suite.
PROBE = """
import json, os, subprocess, sys, threading
from xinzhi import tuning

def thread_cpus():
    seen = []
    thread = threading.Thread(target=lambda: seen.append(sorted(os.sched_getaffinity(0))))
    thread.start(); thread.join()
    return seen[0]

child = [sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"]
allowed = sorted(os.sched_getaffinity(0))
tuning.python_on_one_cpu()
seen = {"allowed": allowed, "own": sorted(os.sched_getaffinity(0)), "thread": thread_cpus(),
        "child": json.loads(subprocess.run(child, capture_output=True, text=True, check=True).stdout)}
with tuning.every_cpu():
    seen["own_within"] = sorted(os.sched_getaffinity(0))
    seen["thread_within"] = thread_cpus()
    seen["child_within"] = json.loads(subprocess.run(child, capture_output=True, text=True, check=True).stdout)
seen["own_after"] = sorted(os.sched_getaffinity(0))
print(json.dumps(seen))
"""


def test_request_threads_share_one_cpu_and_what_they_start_within_every_cpu_spreads_again():
    seen = json.loads(subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                                     check=True).stdout)
    allowed = seen["allowed"]
    assert seen["own"] == seen["thread"] == seen["child"] == seen["own_after"]
    assert len(seen["own"]) == 1 and set(seen["own"]) <= set(allowed)  # one CPU: a single one is nothing to narrow
    assert seen["own_within"] == seen["thread_within"] == seen["child_within"] == allowed


def _cpus(task: int | str) -> list[int]:
    return sorted(os.sched_getaffinity(int(task)))


def test_a_server_keeps_its_request_threads_on_one_cpu_and_its_log_copier_and_draft_workers_on_all(tmp_path):
    allowed = sorted(os.sched_getaffinity(0))
    with serve(f"sqlite:///{tmp_path}/one-cpu.db") as base, httpx.Client(base_url=base, timeout=60) as client:
        community = make_community(client)
        for first in range(0, 3000, 1000):  # more rows than ``db.wal.COPY_ROWS``: the copier has started
            assert client.post(f"/communities/{community}/facts/batch",
                               json={"facts": facts(first, 1000)}).status_code == 200
        assert client.post(f"/communities/{community}/dry-run",
                           json={"ruleset": CIVIC_V1, "facts": facts(5000, 1)}).status_code == 200
        pid = server_pid(client)
        threads = {task: _cpus(task) for task in os.listdir(f"/proc/{pid}/task")}
        workers = [_cpus(child.pid) for child in psutil.Process(pid).children(recursive=True)]
    if len(allowed) == 1:
        assert set(map(tuple, threads.values())) == {tuple(allowed)}
        return
    one = threads[str(pid)]  # the event loop's, and the request threads' it started
    assert len(one) == 1 and set(one) <= set(allowed)
    assert sum(cpus == one for cpus in threads.values()) >= 2
    assert sum(cpus == allowed for cpus in threads.values()) == 1  # the log's copier
    assert workers and all(cpus == allowed for cpus in workers)  # the draft worker
