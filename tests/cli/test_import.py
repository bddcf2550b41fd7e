"""``xinzhi import``: the CLI shell over the same import service as the HTTP API."""

from __future__ import annotations

from xinzhi.cli.main import main
from xinzhi.communities import ResidentCreate, register_residents
from xinzhi.ledger import resident_ledger
from xinzhi.service import open_service
from xinzhi.settings import Settings

GOOD = "id,type,resident,occurred_at,hours\nv1,volunteering,A1,2024-05-01T09:00:00+08:00,2\n"
BAD = GOOD + "v2,volunteering,A1,2024-05-02T09:00:00+08:00,many\n"


def test_import_stores_a_good_file_and_nothing_from_a_bad_one(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    service = open_service(Settings(database_url=url))  # loads the repository's rulesets on first start
    register_residents(service, "yihe", [ResidentCreate(id="A1", name="王秀英", zone="north")])
    (tmp_path / "bad.csv").write_text(BAD, encoding="utf-8")
    (tmp_path / "good.csv").write_text(GOOD, encoding="utf-8")
    assert main(["import", str(tmp_path / "bad.csv"), "--community", "yihe", "--database-url", url]) == 1
    assert "bad.csv:3:" in capsys.readouterr().err
    assert resident_ledger(service, "yihe", "A1").total == 0
    assert main(["import", str(tmp_path / "good.csv"), "--community", "yihe", "--database-url", url]) == 0
    assert "1 scored" in capsys.readouterr().out
    assert main(["import", str(tmp_path / "bad.csv"), "--community", "yihe", "--database-url", url,
                 "--skip-bad-rows"]) == 0
    assert "1 seen before, 1 skipped" in capsys.readouterr().out
    assert resident_ledger(service, "yihe", "A1").total == 1
    assert main(["expire", "--community", "yihe", "--as-of", "2026-07-01", "--database-url", url]) == 0
    assert "1 expiry entries" in capsys.readouterr().out
    assert resident_ledger(service, "yihe", "A1", kind="expiry").total == 1
    service.close()
