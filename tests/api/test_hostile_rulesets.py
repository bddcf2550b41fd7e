"""Hostile ruleset text at a real server: refused with a located 422, the server's memory flat.

A 370-byte alias bomb once took a server past 5 GB in 28 s, deep nesting answered 500, and
so did a lone surrogate in a key (found by fuzzing) and a standard dated in year 1 or 9999;
the same texts through upload, the draft dry-run (a worker process) and the editor's test run
must now be refused at once, and the server must not grow while refusing them.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.api.conftest import serve
from tests.engine.test_loader import ALIAS_BOMB
from tests.support.standard import CIVIC_V1

HOSTILE = [
    pytest.param(ALIAS_BOMB, "ruleset_too_large", id="alias-bomb"),
    pytest.param("[" * 50_000, "ruleset_too_large", id="deep-nesting"),
    pytest.param(CIVIC_V1.replace("title:", "title: \x01", 1), "ruleset_bad_character", id="control-character"),
    pytest.param(CIVIC_V1.replace("title:", 'title: "\\u0000"\nx:', 1), "ruleset_bad_character", id="escaped-nul"),
    pytest.param(CIVIC_V1.replace("title:", '"\\ud800": {a: "\\u0001"}\ntitle:', 1), "ruleset_bad_character",
                 id="lone-surrogate-in-a-key"),
    # dates no period arithmetic can hold: the draft's dry-run and publishing answered 500
    pytest.param(CIVIC_V1.replace("effective_from: 2021-01-01", "effective_from: 0001-01-01"), "ruleset_bad_value",
                 id="year-one"),
    pytest.param(CIVIC_V1.replace("effective_from: 2021-01-01", "effective_from: 2021-01-01\neffective_to: 9999-12-31"),
                 "ruleset_bad_value", id="year-9999"),
    # a version no store column holds: SQLite's integer overflowed (500, the connection reset)
    pytest.param(CIVIC_V1.replace("effective_from: 2021-01-01", "effective_from: 2021-01-01\n"
                                  "extends: yihe_2021@9223372036854775808"), "ruleset_bad_value", id="extends-huge"),
]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hostile")
    with serve(f"sqlite:///{directory / 'x.db'}", cwd=directory) as base:
        client = httpx.Client(base_url=base, timeout=30)
        assert client.put("/communities/h", json={"name": "测试"}).status_code == 200
        yield client


def server_pid(client: httpx.Client) -> int:
    port = client.base_url.port
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in cmdline and str(port).encode() in cmdline:
                return int(proc.name)
    raise AssertionError("server process not found")


@pytest.mark.parametrize(("text", "code"), HOSTILE)
def test_hostile_text_is_refused_everywhere_with_memory_flat(server, text, code):
    pid = server_pid(server)
    before = rss_kb(pid)
    for _ in range(3):
        upload = server.post("/communities/h/rulesets", content=text.encode(),
                             headers={"content-type": "application/yaml"})
        assert upload.status_code == 422 and upload.json()["errors"][0]["code"] == code, upload.text
        assert upload.json()["errors"][0]["line"] >= 1
        dry = server.post("/communities/h/dry-run", json={"ruleset": text, "facts": []})
        assert dry.status_code == 422 and dry.json()["errors"][0]["code"] == code, dry.text
    assert rss_kb(pid) - before < 50_000, "the server grew by more than 50 MB while refusing"
    assert server.get("/health").status_code == 200
