"""The ``xinzhi`` command as a user runs it: real subprocesses, exit codes and output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, RULESETS


def xinzhi(*args: str, cwd=ROOT, lang: str = "C.UTF-8") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "XINZHI_LANG")}
    return subprocess.run([sys.executable, "-m", "xinzhi.cli.main", *args], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=120, env={**env, "LANG": lang})


def test_validate_and_test_pass_on_the_repository_rulesets():
    files = [str(p) for p in sorted(RULESETS.glob("*.yaml"))]
    validated = xinzhi("validate", *files)
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.count("ok  ") == len(files)
    tested = xinzhi("test", *files)
    assert tested.returncode == 0, tested.stdout
    assert "FAIL" not in tested.stdout and tested.stdout.count("PASS") >= 17


def test_validate_reports_located_problems_and_exits_1(tmp_path):
    broken = (RULESETS / "yihe_2021.yaml").read_text(encoding="utf-8").replace(
        "category: environment\n    fact: small_ad_cleanup", "category: enviroment\n    fact: small_ad_cleanup")
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    result = xinzhi("validate", str(path))
    assert result.returncode == 1
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "category: enviroment" in text)
    assert f"broken.yaml:{line}:" in result.stderr
    assert "did you mean 'environment'" in result.stderr
    chinese = xinzhi("validate", str(path), lang="zh_CN.UTF-8")  # an office PC set up in Chinese
    assert chinese.returncode == 1 and f"broken.yaml:{line}:" in chinese.stderr
    assert "没有分类「enviroment」，是不是「environment」？" in chinese.stderr, chinese.stderr


def test_a_ruleset_saved_in_gbk_is_one_located_problem_and_the_other_files_are_still_validated(tmp_path):
    """Found by use: a file in GBK stopped validate for every file, in English, at a byte number."""
    text = (RULESETS / "xishan_2024.yaml").read_text(encoding="utf-8")
    (tmp_path / "gbk.yaml").write_bytes(text.encode("gb18030"))
    line = next(n for n, row in enumerate(text.splitlines(), 1) if any(ord(c) > 127 for c in row))
    result = xinzhi("validate", str(tmp_path / "gbk.yaml"), str(RULESETS / "yihe_2021.yaml"), lang="zh_CN.UTF-8")
    assert result.returncode == 1 and result.stdout.count("ok  ") == 1, result.stdout
    assert f"gbk.yaml:{line}:" in result.stderr and "不是 UTF-8 编码" in result.stderr, result.stderr


def test_test_command_fails_on_a_wrong_expectation(tmp_path):
    text = (RULESETS / "yihe_2021.yaml").read_text(encoding="utf-8").replace(
        "awards: [{fact: t1-1, rule: community_activity_join, amount: 2}]",
        "awards: [{fact: t1-1, rule: community_activity_join, amount: 3}]")
    path = tmp_path / "yihe_wrong.yaml"
    path.write_text(text, encoding="utf-8")
    result = xinzhi("test", str(path))
    assert result.returncode == 1
    assert "FAIL  yihe_2021@1  参加社区活动每次 2 分" in result.stdout


@pytest.mark.parametrize("facts", ["facts.jsonl", "facts.csv"])
def test_score_json_is_consistent_with_explained_awards(facts):
    result = xinzhi("score", str(RULESETS / "yihe_2021.yaml"), "--facts", str(ROOT / "samples" / facts),
                    "--explain", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for balance in out["balances"]:
        mine = [a for a in out["awards"] if a["resident"] == balance["resident"]]
        assert balance["points"] == sum(a["amount"] for a in mine if "points" in a["accounts"])
        assert balance["index"] == 100 + sum(a["amount"] for a in mine if "index" in a["accounts"])
    assert any(m["reason"] for m in out["misses"])
    assert "志愿服务时长" in result.stdout  # UTF-8 titles survive


def test_explain_prints_the_resolved_child():
    result = xinzhi("explain", str(RULESETS / "dongshan_2022.yaml"))
    assert result.returncode == 0, result.stderr
    assert "dongshan_2022@1 ← yihe_2021@1" in result.stdout
    assert "elderly_visit" in result.stdout and "mediation_mediator" in result.stdout
    assert "overrides" not in result.stdout


def test_score_rejects_a_bad_fact_naming_it(tmp_path):
    facts = tmp_path / "bad.jsonl"
    facts.write_text(json.dumps({"id": "x1", "type": "volunteering", "resident": "r",
                                 "occurred_at": "2021-05-01T09:00:00", "fields": {"hours": "many"}}) + "\n")
    result = xinzhi("score", str(RULESETS / "yihe_2021.yaml"), "--facts", str(facts))
    assert result.returncode == 1
    assert "fact 'x1'" in result.stderr and "hours" in result.stderr


def test_test_loads_each_file_once_through_the_loader(tmp_path, capsys):
    """A parent named on the command line is parsed and compiled once, for itself and its child."""
    from xinzhi.cli.main import main
    from xinzhi.engine import CACHE

    for name in ("yihe_2021.yaml", "dongshan_2022.yaml"):
        (tmp_path / name).write_text((RULESETS / name).read_text(encoding="utf-8"), encoding="utf-8")
    runs = {stage: CACHE.stats[stage].runs if stage in CACHE.stats else 0 for stage in ("parse", "compile")}
    assert main(["test", str(tmp_path / "yihe_2021.yaml"), str(tmp_path / "dongshan_2022.yaml")]) == 0
    assert "FAIL" not in capsys.readouterr().out
    assert {stage: CACHE.stats[stage].runs - runs[stage] for stage in runs} == {"parse": 2, "compile": 2}


def test_score_lists_every_resident_given_even_with_no_award(tmp_path):
    facts = tmp_path / "two.jsonl"
    facts.write_text("\n".join(json.dumps({"id": f"v{i}", "type": "volunteering", "resident": who,
                                           "occurred_at": "2021-05-01T09:00:00+08:00", "fields": {"hours": hours}},
                                          ensure_ascii=False)
                               for i, (who, hours) in enumerate((("王五", 2), ("赵六", 0)))) + "\n", encoding="utf-8")
    result = xinzhi("score", str(RULESETS / "yihe_2021.yaml"), "--facts", str(facts), "--json")
    assert result.returncode == 0, result.stderr
    balances = {b["resident"]: (b["index"], b["points"]) for b in json.loads(result.stdout)["balances"]}
    assert set(balances) == {"王五", "赵六"} and balances["赵六"] == (100, 0)


def test_score_may_ignore_facts_of_unknown_types_and_says_how_many(tmp_path):
    facts = tmp_path / "mixed.jsonl"
    facts.write_text("\n".join(json.dumps({"id": f"m{i}", "type": kind, "resident": "r1",
                                           "occurred_at": "2021-05-01T09:00:00+08:00", "fields": fields})
                               for i, (kind, fields) in enumerate((("volunteering", {"hours": 2}), ("bonfire", {}))))
                     + "\n", encoding="utf-8")
    refused = xinzhi("score", str(RULESETS / "yihe_2021.yaml"), "--facts", str(facts))
    assert refused.returncode == 1 and "unknown type 'bonfire'" in refused.stderr
    ignored = xinzhi("score", str(RULESETS / "yihe_2021.yaml"), "--facts", str(facts), "--json",
                     "--ignore-unknown-types")
    assert ignored.returncode == 0 and json.loads(ignored.stdout)["ignored"] == 1


@pytest.mark.parametrize(("args", "said"), [
    (("validate", "no-such-ruleset.yaml"), "No such file or directory: no-such-ruleset.yaml"),
    (("validate", "rulesets"), "Is a directory: rulesets"),
    (("score", "rulesets/yihe_2021.yaml", "--facts", "/dev/zero"), "not a file of facts"),
    (("close-periods", "--community", "yihe", "--as-of", "20261101"), "write the day as YYYY-MM-DD"),
    (("close-periods", "--community", "yihe", "--as-of", "0001-01-01"), "a day lies in 2000–2099"),
    (("serve", "--port", "99999"), "99999 is not between 1 and 65,535"),
    (("serve", "--log-level", "bogus"), "invalid choice: 'bogus'"),
    (("simulate", "--candidate", "x.yaml", "--out", "o", "--workers", "100000"), "not between 1 and 64"),
])
def test_a_bad_argument_or_file_is_one_line_and_no_traceback(args, said):
    """Found by attack: each of these was a traceback, ran for ever, or (20261101) wrote 303 awards."""
    ran = xinzhi(*args)
    assert ran.returncode in (1, 2) and said in ran.stderr, (ran.returncode, ran.stderr)  # 1: the input refused
    assert "Traceback" not in ran.stderr
