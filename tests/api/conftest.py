"""API tests: an in-process app for the HTTP contract, real ``xinzhi serve`` processes end to end."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.standard import CIVIC_V1
from xinzhi.access import create_token
from xinzhi.api.main import create_app
from xinzhi.settings import Settings

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    directory = tmp_path_factory.mktemp("api")
    settings = Settings(database_url=f"sqlite:///{directory / 'api.db'}", rulesets_dir=None, max_batch_facts=50,
                        max_request_bytes=256 * 1024)
    with TestClient(create_app(settings)) as test_client:
        authorize(test_client, "committee", "staff")
        yield test_client


def authorize(test_client: TestClient, *roles: str, community: str | None = None,
              resident: str | None = None) -> str:
    """Create a token with ``roles`` in the app's store and send it on every request of ``test_client``."""
    created = create_token(test_client.app.state.service, list(roles), community=community, resident=resident)
    test_client.headers["Authorization"] = f"Bearer {created.token}"
    return created.token


def make_community(client, *, residents: int = 4) -> str:
    """A new community over HTTP: civic@1 published, residents r1… in households of two."""
    community = f"c{uuid.uuid4().hex[:10]}"
    assert client.put(f"/communities/{community}", json={"name": "测试社区"}).status_code == 200
    assert client.post(f"/communities/{community}/residents", json=[
        {"id": f"r{i}", "name": f"张三{i}", "zone": "north" if i % 2 else "south", "household": f"h{(i + 1) // 2}"}
        for i in range(1, residents + 1)]).status_code == 200
    assert client.post(f"/communities/{community}/rulesets", content=CIVIC_V1.encode(),
                       headers={"content-type": "application/yaml"}).status_code == 201
    assert client.post(f"/communities/{community}/rulesets/civic/versions/1/publish").status_code == 200
    return community


@pytest.fixture
def community(client) -> str:
    return make_community(client)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(database_url: str | None, *, demo: bool = False, cwd: Path | None = None, auth: bool = False,
          xinzhi: Path | None = None, log: Path | None = None, workers: int = 1,
          log_level: str = "warning") -> Iterator[str]:
    """A real ``xinzhi serve`` process on a free port; yields its base URL, stops it afterwards.

    ``xinzhi`` is the command to run (default: this environment's). ``log`` takes the server's
    output (its tracebacks, say) instead of a pipe nobody reads, which a chatty server would fill.
    A port taken between ``free_port`` and the server's bind (another xdist worker's server, say)
    is given up for another one, at most three times."""
    for attempt in range(3):
        process, sink, base = _start(database_url, demo=demo, cwd=cwd, auth=auth, xinzhi=xinzhi, log=log,
                                     workers=workers, log_level=log_level)
        try:
            said = _wait_until_up(process, base, log)
            if said is None:
                yield base
                return
        finally:
            _stop(process, sink)
        if "address already in use" not in said.lower() or attempt == 2:
            pytest.fail(f"xinzhi serve exited with {process.returncode}:\n{said}")


def _start(database_url: str | None, *, demo: bool, cwd: Path | None, auth: bool, xinzhi: Path | None,
           log: Path | None, workers: int = 1, log_level: str = "warning",
           ) -> tuple[subprocess.Popen, IO[str] | None, str]:
    port = free_port()
    command = [str(xinzhi or Path(sys.executable).parent / "xinzhi"), "serve", "--port", str(port),
               "--log-level", log_level, "--workers", str(workers)]
    command += (["--database-url", database_url] if database_url else []) + (["--demo"] if demo else [])
    sink = log.open("w", encoding="utf-8") if log else None
    process = subprocess.Popen(command, cwd=cwd, stdout=sink or subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={"XINZHI_AUTH": "off", **os.environ, "PYTHONUNBUFFERED": "1",
                                    **({"XINZHI_AUTH": "on"} if auth else {})})
    return process, sink, f"http://127.0.0.1:{port}"


def _wait_until_up(process: subprocess.Popen, base: str, log: Path | None) -> str | None:
    """None once the server answers /health; what it said if it exited first."""
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            return log.read_text(encoding="utf-8") if log else process.stdout.read()
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return None
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail("xinzhi serve did not come up within 60 s")
        time.sleep(0.1)


def _stop(process: subprocess.Popen, sink: IO[str] | None) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if sink:
        sink.close()
