"""Jobs across API processes: started through one, followed and cancelled through another; outliving kill -9.

Jobs are rows of the store (simulations/jobs.py), so it does not matter which process took
the request, nor which one's runner claims the job, nor whether that process survives.
"""

from __future__ import annotations

import signal
import time
import uuid

import httpx

from tests.api.conftest import PROBLEM, _start, _stop, _wait_until_up, serve
from tests.conftest import RULESETS
from tests.support.backends import postgres_schema

LONG = {"residents": 5000, "months": 12, "seed": 4}  # tens of seconds on two cores: time to watch and cancel


def until(read, done, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if done(value):
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {value}")


def test_a_job_started_through_one_process_is_followed_and_cancelled_through_the_other(tmp_path):
    with (postgres_schema() as url, serve(url, log=tmp_path / "one.log") as a,
          serve(url, log=tmp_path / "two.log") as b, httpx.Client(base_url=a, timeout=30) as one,
          httpx.Client(base_url=b, timeout=30) as two):
        community = f"sim{uuid.uuid4().hex[:8]}"
        assert one.put(f"/communities/{community}", json={"name": "亿和社区"}).status_code == 200
        uploaded = one.post(f"/communities/{community}/rulesets", params={"name": "yihe_2021.yaml"},
                            content=(RULESETS / "yihe_2021.yaml").read_bytes(),
                            headers={"content-type": "application/yaml"})
        assert uploaded.status_code == 201, uploaded.text
        started = one.post(f"/communities/{community}/simulations",
                           json={"baseline": "yihe_2021@1", "candidate": "yihe_2021@1", "source": LONG})
        assert started.status_code == 202, started.text
        location = started.headers["location"]

        # followed through the other process: it knows the job and sees its progress move
        moving = until(lambda: two.get(location).json(),
                       lambda job: job["status"] == "running" and job["progress"].get("replay", [0])[0] >= 1)
        assert 0 < moving["percent"] < 100 and moving["started_by"] == started.json()["started_by"]
        assert [j["id"] for j in two.get(f"/communities/{community}/simulations").json()] == [moving["id"]]

        cancelled = two.post(f"{location}/cancel")
        assert cancelled.status_code == 202 and cancelled.json()["cancel_requested"] is True
        ended = until(lambda: one.get(location).json(), lambda job: job["status"] != "running", timeout=30)
        assert ended["status"] == "cancelled" and ended["finished_at"] is not None

        for process in (one, two):
            report = process.get(f"{location}/report.json")
            assert report.status_code == 409 and report.headers["content-type"] == PROBLEM
            assert report.json()["job_status"] == "cancelled"
        again = one.post(f"{location}/cancel")
        assert again.status_code == 409 and again.json()["code"] == "simulation_finished"


def test_a_job_whose_server_is_killed_ends_failed_when_it_comes_back(tmp_path):
    """kill -9 mid-run: the restarted server finds the job's runner dead on this machine and ends it failed."""
    database = f"sqlite:///{tmp_path / 'xinzhi.db'}"
    process, sink, base = _start(database, demo=False, cwd=None, auth=False, xinzhi=None, log=tmp_path / "first.log")
    try:
        assert _wait_until_up(process, base, tmp_path / "first.log") is None
        with httpx.Client(base_url=base, timeout=30) as client:
            community = f"sim{uuid.uuid4().hex[:8]}"
            assert client.put(f"/communities/{community}", json={"name": "亿和社区"}).status_code == 200
            assert client.post(f"/communities/{community}/rulesets", params={"name": "yihe_2021.yaml"},
                               content=(RULESETS / "yihe_2021.yaml").read_bytes(),
                               headers={"content-type": "application/yaml"}).status_code == 201
            location = client.post(f"/communities/{community}/simulations", json={
                "baseline": "yihe_2021@1", "candidate": "yihe_2021@1", "source": LONG}).headers["location"]
            until(lambda: client.get(location).json(), lambda job: job["status"] == "running")
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        _stop(process, sink)
    with serve(database, log=tmp_path / "second.log") as again, httpx.Client(base_url=again, timeout=30) as client:
        job = client.get(location).json()
        assert job["status"] == "failed" and "stopped before it finished" in job["error"]
        assert job["problems"][0]["code"] == "simulation_failed"
        restarted = client.post(f"/communities/{community}/simulations", json={
            "baseline": "yihe_2021@1", "candidate": "yihe_2021@1", "source": {"residents": 30, "months": 1}})
        assert until(lambda: client.get(restarted.headers["location"]).json(),
                     lambda view: view["status"] != "queued" and view["status"] != "running")["status"] == "done"
