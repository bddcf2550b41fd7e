"""``xinzhi token``: listed and revoked by name, and never into a database nobody serves."""

from __future__ import annotations

import pytest

from xinzhi.cli.main import main


def test_a_command_run_where_there_is_no_database_says_where_it_looked_and_creates_none(tmp_path, monkeypatch,
                                                                                        capsys):
    monkeypatch.delenv("XINZHI_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    for command in (["token", "create", "--role", "staff"], ["token", "list"],
                    ["import", "facts.csv", "--community", "yihe"], ["expire", "--community", "yihe"]):
        with pytest.raises(SystemExit) as stopped:
            main(command)
        assert stopped.value.code == 2, command
        assert f"no database at {tmp_path / 'xinzhi.db'}" in capsys.readouterr().err
    assert not (tmp_path / "xinzhi.db").exists()


def test_tokens_are_listed_without_secrets_and_revoked_by_label(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'office.db'}"  # named, so made as asked
    assert main(["token", "create", "--role", "staff", "--label", "王会计", "--database-url", url]) == 0
    secret = capsys.readouterr().out.strip()
    assert main(["token", "create", "--role", "committee", "--label", "李主任", "--database-url", url]) == 0
    capsys.readouterr()
    assert main(["token", "list", "--database-url", url]) == 0
    listed = capsys.readouterr()
    rows = [line.split("\t") for line in listed.out.splitlines()]
    assert rows[0][:3] == ["id", "label", "roles"] and [(r[1], r[2], r[6]) for r in rows[1:]] == [
        ("王会计", "staff", "-"), ("李主任", "committee", "-")]
    assert secret not in listed.out and f"database sqlite:///{tmp_path / 'office.db'}" in listed.err
    assert main(["token", "revoke", "王会计", "--database-url", url]) == 0
    assert main(["token", "list", "--database-url", url]) == 0
    assert [line.split("\t")[6] != "-" for line in capsys.readouterr().out.splitlines()[1:]] == [True, False]
    assert main(["token", "revoke", "nobody", "--database-url", url]) == 1
    assert "no token with the id or label 'nobody'" in capsys.readouterr().err


def test_a_label_several_tokens_carry_is_refused_with_their_ids(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'office.db'}"
    for role in ("staff", "committee"):
        assert main(["token", "create", "--role", role, "--label", "值班", "--database-url", url]) == 0
    capsys.readouterr()
    assert main(["token", "revoke", "值班", "--database-url", url]) == 2
    assert "2 tokens in use are labelled '值班'" in capsys.readouterr().err
    assert main(["token", "list", "--database-url", url]) == 0
    assert all(line.endswith("\t-") for line in capsys.readouterr().out.splitlines()[1:])  # none revoked
