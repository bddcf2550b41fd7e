"""The loader's stage table: which stages run, where they stop, what they keep per process."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import RULESETS
from tests.engine.test_loader import BASE, broken
from xinzhi.engine import (
    STAGES,
    ErrorCode,
    Loader,
    MemorySource,
    RulesetError,
    StageCache,
    compile_ruleset_file,
)


def test_the_stages_in_order():
    assert [stage.name for stage in STAGES] == ["parse", "resolve", "check", "compile"]




def extending(ruleset_id: str, parent: str, body: str = "") -> str:
    """A child that changes nothing of ``parent`` unless ``body`` says so."""
    return (f"id: {ruleset_id}\nversion: 1\ntitle: 子标准\ncommunity: 子社区\neffective_from: 2022-01-01\n"
            f"extends: {parent}\n{body}")


PARENTS = {"base@1": (BASE, "base.yaml")}
CHILD = extending("child", "base@1")
ALL = ("parse", "resolve", "check", "compile")

CASES = [
    # text, until, stages that ran, problem codes, what the last stage left
    pytest.param(BASE, "compile", ALL, [], "compiled", id="valid-compiled"),
    pytest.param(CHILD, "compile", ALL, [], "compiled", id="child-compiled"),
    pytest.param(CHILD, "resolve", ALL[:2], [], "ruleset", id="until-resolve"),
    pytest.param(BASE, "parse", ALL[:1], [], "parsed", id="until-parse"),
    pytest.param(broken("community: 测试社区\n", "community: 测试社区: 坏\n"), "compile", ALL[:1],
                 [ErrorCode.YAML_SYNTAX], None, id="yaml-stops-at-parse"),
    pytest.param(extending("child", "nowhere@1"), "compile", ALL[:2], [ErrorCode.EXTENDS_UNKNOWN], None,
                 id="unknown-parent-stops-at-resolve"),
    pytest.param(extending("child", "base@1", "overrides:\n  - rule: nope\n    enabled: false\n"
                           "  - rule: volunteer_hours\n    when: {hourz: {above: 1}}\n"), "compile", ALL[:3],
                 [ErrorCode.UNKNOWN_RULE, ErrorCode.UNKNOWN_FIELD], None,
                 id="merge-and-check-problems-listed-together"),
    pytest.param(broken("category: volunteering\n    fact", "category: volunteerin\n    fact"), "compile",
                 ALL[:3], [ErrorCode.UNKNOWN_CATEGORY], None, id="check-stops-before-compile"),
]


@pytest.mark.parametrize(("text", "until", "stages", "codes", "result"), CASES)
def test_stages(text, until, stages, codes, result):
    loaded = Loader(MemorySource(PARENTS), cache=StageCache()).run(text, "x.yaml", until=until)
    assert loaded.stages == stages
    assert sorted(p.code for p in loaded.problems) == sorted(codes)
    for name in ("parsed", "ruleset", "compiled"):
        if name == result:
            assert getattr(loaded, name) is not None


def test_an_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="parse, resolve, check, compile"):
        Loader().run(BASE, until="link")


def test_problems_raise_with_every_one():
    with pytest.raises(RulesetError) as raised:
        Loader(cache=StageCache()).compile(extending("child", "nowhere@1"), "x.yaml")
    assert raised.value.code == ErrorCode.EXTENDS_UNKNOWN


def test_the_parents_used_are_reported_nearest_first():
    grandchild = extending("grandchild", "child@1")
    source = MemorySource({**PARENTS, "child@1": (CHILD, "child.yaml")})
    loaded = Loader(source, cache=StageCache()).run(grandchild, "g.yaml", until="resolve")
    assert list(loaded.parents) == ["child@1", "base@1"]
    assert loaded.parents["base@1"] == (BASE, "base.yaml")
    assert loaded.ruleset is not None and loaded.ruleset.lineage == ("grandchild@1", "child@1", "base@1")


# ---------------------------------------------------------------- once per process

def test_a_version_is_compiled_once_per_process():
    cache = StageCache()
    first = Loader(MemorySource(PARENTS), cache=cache).compile(CHILD, "child.yaml")
    again = Loader(MemorySource(PARENTS), cache=cache).compile(CHILD, "child.yaml")  # another caller, same texts
    assert again is first
    assert {stage: cache.stats[stage].runs for stage in cache.stats} == {
        "parse": 2, "resolve": 1, "check": 1, "compile": 1}  # child and parent parsed once each
    assert cache.stats["compile"].hits == 1


def test_a_parent_shared_by_two_children_is_parsed_once():
    cache = StageCache()
    loader = Loader(MemorySource(PARENTS), cache=cache)
    loader.compile(CHILD, "child.yaml")
    loader.compile(extending("sibling", "base@1"), "sibling.yaml")
    assert cache.stats["parse"].runs == 3 and cache.stats["compile"].runs == 2


def test_a_changed_parent_is_a_new_version_of_the_child():
    cache = StageCache()
    before = Loader(MemorySource(PARENTS), cache=cache).compile(CHILD, "child.yaml")
    changed = MemorySource({"base@1": (BASE.replace("points: 2", "points: 3"), "base.yaml")})
    after = Loader(changed, cache=cache).compile(CHILD, "child.yaml")
    assert after is not before
    assert after.ruleset.rules[0].award.points == 3 and before.ruleset.rules[0].award.points == 2


def test_a_stage_keeps_only_its_most_recent_results():
    cache = StageCache(size=2)
    loader = Loader(cache=cache)
    texts = [BASE.replace("测试标准", f"标准{i}") for i in range(3)]
    for text in texts + texts[2:]:
        loader.run(text, until="parse")
    assert (cache.stats["parse"].runs, cache.stats["parse"].hits) == (3, 1)
    loader.run(texts[0], until="parse")  # dropped to make room for the third
    assert cache.stats["parse"].runs == 4


def test_threads_asking_at_once_share_one_compile():
    cache = StageCache()
    results, barrier = [], threading.Barrier(6)

    def compile_it() -> None:
        barrier.wait()
        results.append(Loader(MemorySource(PARENTS), cache=cache).compile(CHILD, "child.yaml"))

    threads = [threading.Thread(target=compile_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(r) for r in results}) == 1 and cache.stats["compile"].runs == 1


def test_a_repository_file_compiles_once_with_its_parent_beside_it():
    first = compile_ruleset_file(RULESETS / "dongshan_2022.yaml")
    assert compile_ruleset_file(RULESETS / "dongshan_2022.yaml") is first
    assert first.ruleset.lineage == ("dongshan_2022@1", "yihe_2021@1")
