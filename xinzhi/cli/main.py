"""``xinzhi`` — validate, test, score and explain rulesets; serve the API; import facts.

Exit status: 0 success, 1 when a ruleset, test or fact has problems, 2 on usage errors.
Rulesets load through the engine's ``Loader``, their parents found among the files beside them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import unicodedata
from itertools import chain
from pathlib import Path

import yaml

from xinzhi import tuning
from xinzhi.cli.arguments import LOG_LEVELS, day, whole
from xinzhi.cli.simulate import add_simulate_command
from xinzhi.cli.streamed import Spool, write_json
from xinzhi.cli.words import language, said
from xinzhi.engine import (
    Award,
    DirectorySource,
    History,
    Loaded,
    Loader,
    Miss,
    RulesetError,
    XinzhiError,
    ruleset_text,
    run_tests,
    score_fact,
)
from xinzhi.engine._source import MAX_SOURCE_BYTES
from xinzhi.engine.amounts import signed
from xinzhi.engine.factfiles import format_of, stream_fact_rows
from xinzhi.engine.ordering import OrderedFacts
from xinzhi.engine.schema import ruleset_json_schema_text
from xinzhi.engine.sheet import BalanceSheet
from xinzhi.messages import Message, problem_text


def _load(files: list[str], *, until: str = "check") -> tuple[list[Loaded], int]:
    """Each file through the engine's loader (parents among the files beside it), every problem printed."""
    loaded, status = [], 0
    loaders: dict[Path, Loader] = {}
    for file in files:
        path = Path(file)
        loader = loaders.setdefault(path.parent, Loader(DirectorySource(path.parent)))
        try:
            text = ruleset_text(read_bounded(path, 4 * MAX_SOURCE_BYTES), str(path))  # the loader bounds it again
            loaded.append(loader.run(text, str(path), until=until).raise_problems())
        except RulesetError as exc:
            for problem in exc.problems:
                print(said(problem), file=sys.stderr)
            status = 1
    return loaded, status


def _pad(text: str, width: int) -> str:
    """Left-align in a terminal column: CJK characters take two cells."""
    cells = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - cells)


def cmd_validate(args: argparse.Namespace) -> int:
    """``xinzhi validate``: one line per ruleset that loads; every problem of the others on stderr."""
    loaded, status = _load(args.files)
    for ruleset in (item.ruleset for item in loaded if item.ruleset):
        print(f"ok  {ruleset.ref}  {ruleset.title}  ({len(ruleset.rules)} rules, {len(ruleset.tests)} tests)")
    return status


def cmd_test(args: argparse.Namespace) -> int:
    """``xinzhi test``: PASS or FAIL per embedded test; status 1 if a ruleset does not load or a test fails."""
    loaded, status = _load(args.files, until="compile")
    for compiled in (item.compiled for item in loaded if item.compiled):
        for outcome in run_tests(compiled):
            print(f"{'PASS' if outcome.passed else 'FAIL'}  {compiled.ref}  {outcome.name}")
            for failure in outcome.failures:
                print(f"      {failure}")
            status = status or (0 if outcome.passed else 1)
    return status


def cmd_score(args: argparse.Namespace) -> int:
    """``xinzhi score``: score a facts file under a ruleset from empty accounts, as a table or JSON.

    What ``evaluate`` would print, for a file of any length: the facts are read a slice at a
    time and sorted on disk (``OrderedFacts``), scored in time order by a history that forgets
    what no later fact reads, and summed per resident (``BalanceSheet``); the explained awards
    and misses wait on disk until the balances are out.
    """
    loaded, status = _load([args.file], until="compile")
    compiled = loaded[0].compiled if loaded else None
    if status or compiled is None:
        return status or 1
    path = Path(args.facts)
    facts = OrderedFacts(compiled, name=str(path), ignore_unknown_types=args.ignore_unknown_types)
    history = History(keep_days=compiled.lookback_days)  # knows how far back the facts read: forgets sooner
    sheet = BalanceSheet(compiled.ruleset)
    with Spool() as awards, Spool() as misses:
        try:
            for row, raw in stream_fact_rows(path):
                facts.add(row, raw)
            for fact in facts:
                sheet.name(fact.resident)  # every resident the facts name has a balance, awarded or not
                scored, missed = score_fact(compiled, fact, history, explain=args.explain)
                for award in scored:
                    sheet.add(award)
                    if args.explain:
                        awards.add(award.as_json() if args.json else _award_line(award))
                for miss in missed:
                    misses.add(miss.as_json() if args.json else _miss_line(miss))
        except XinzhiError as exc:
            for problem in exc.problems:
                print(said(problem), file=sys.stderr)
            return 1
        if args.json:
            balances = (balance.model_dump(mode="json") for balance in sheet.balances())
            write_json(sys.stdout, {"ruleset": compiled.ref, "ignored": facts.ignored, "balances": balances,
                                    **({"awards": iter(awards), "misses": iter(misses)} if args.explain else {})})
            print()
            return 0
        if facts.ignored:
            print(f"ignored {facts.ignored} fact(s) of types {compiled.ref} does not define", file=sys.stderr)
        print(f"{'resident':<16} {'index':>6} {'points':>7}  tier")
        for balance in sheet.balances():
            print(f"{_pad(balance.resident, 16)} {balance.index:>6} {balance.points:>7}  "
                  f"{balance.tier} {balance.tier_title}")
        if args.explain:
            print()
            for line in chain(awards, misses):
                print(line)
    return 0


def _award_line(award: Award) -> str:
    """An award as ``xinzhi score --explain`` lists it: fact, resident, rule, amount, the limit that cut it."""
    cut = f" (raw {signed(award.raw_amount)}, limited by {award.limited_by})" if award.limited_by else ""
    return f"{award.fact_id:<12} {_pad(award.resident, 10)} {award.rule_id:<34} {signed(award.amount):>4}{cut}  " \
        f"{award.rule_title}"


def _miss_line(miss: Miss) -> str:
    """A rule that gave nothing, as ``xinzhi score --explain`` lists it after the awards: why."""
    return f"{miss.fact_id:<12} {'':<10} {miss.rule_id:<34}   —  {miss.reason}"


def cmd_schema(args: argparse.Namespace) -> int:
    """``xinzhi schema``: the JSON Schema an editor can check a ruleset against, to stdout or ``--out``."""
    text = ruleset_json_schema_text()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """``xinzhi explain``: a ruleset as YAML with its ``extends`` applied (tests left out)."""
    loaded, status = _load([args.file])
    ruleset = loaded[0].ruleset if loaded else None
    if status or ruleset is None:
        return status or 1
    print(f"# {ruleset.ref} fully resolved from: {' ← '.join(ruleset.lineage)}")
    data = ruleset.model_dump(mode="json", by_alias=True, exclude_none=True,
                              exclude={"extends", "overrides", "tests"})
    sys.stdout.write(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100))
    return 0


def _settings(args: argparse.Namespace):
    """The service settings (``XINZHI_*``), validated now: a bad value stops the command at once."""
    from pydantic import ValidationError

    from xinzhi.settings import Settings
    overrides = {"database_url": args.database_url} if getattr(args, "database_url", None) else {}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        for error in exc.errors():
            name = "XINZHI_" + "_".join(str(p) for p in error["loc"]).upper()
            print(f"xinzhi: setting {name}: {error['msg']}", file=sys.stderr)
        raise SystemExit(2) from None


def _database_name(settings) -> str:
    """The database as a person can find it: a SQLite file by its full path, a server's URL without its password."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return f"sqlite:///{Path(url.database).resolve()}"
    return url.render_as_string(hide_password=True)


#: The largest file ``xinzhi import`` reads: a sheet of the most rows an import takes is a few megabytes.
IMPORT_MOST = 64 * 1024 * 1024


def _store(args: argparse.Namespace, *, load_rulesets: bool = True):
    """The service over the database a command works on, named on stderr.

    A command run where there is no database would quietly make an empty one (a token no
    server knows, an import nobody sees): when the database is the default SQLite file and it
    does not exist, the command stops and says where it looked. Naming it (``--database-url``,
    ``XINZHI_DATABASE_URL``) creates it as asked.
    """
    from sqlalchemy.engine import make_url

    from xinzhi.service import open_service

    settings = _settings(args)
    url = make_url(settings.database_url)
    default_file = url.get_backend_name() == "sqlite" and "database_url" not in settings.model_fields_set
    if default_file and url.database and not Path(url.database).exists():
        print(f"xinzhi: no database at {Path(url.database).resolve()}: run this where `xinzhi serve` runs, "
              "or name the database with --database-url or XINZHI_DATABASE_URL", file=sys.stderr)
        raise SystemExit(2)
    print(f"xinzhi: database {_database_name(settings)}", file=sys.stderr)
    return open_service(settings, load_rulesets=load_rulesets)


def cmd_serve(args: argparse.Namespace) -> int:
    """``xinzhi serve``: run the HTTP API until stopped; ``--demo`` seeds community ``yihe`` first."""
    import uvicorn

    from xinzhi.api.main import create_app
    from xinzhi.cli.demo import DEMO_COMMUNITY, seed_demo
    from xinzhi.service import open_service

    tuning.few_malloc_arenas()
    tuning.collect_garbage_rarely()
    settings = _settings(args)
    service = open_service(settings)  # migrates and seeds once, before any worker process starts
    try:
        if args.demo:
            seeded = seed_demo(service)
            if seeded["residents"]:
                print(f"demo: community '{DEMO_COMMUNITY}' seeded with {seeded['residents']} residents and "
                      f"{seeded['facts']} scored facts", flush=True)
            else:
                print(f"demo: community '{DEMO_COMMUNITY}' already seeded", flush=True)
        print(f"xinzhi: serving {_database_name(settings)} on http://{args.host}:{args.port} "
              f"(API docs at http://{args.host}:{args.port}/docs)", flush=True)
        if args.workers == 1:
            app = create_app(service=service)
            tuning.freeze_start_up()
            if settings.python_on_one_cpu:
                tuning.python_on_one_cpu()
            uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
            return 0
    finally:
        service.close()
    os.environ["XINZHI_DATABASE_URL"] = settings.database_url  # each worker opens the service itself from it
    uvicorn.run("xinzhi.cli.main:worker_app", factory=True, workers=args.workers, host=args.host, port=args.port,
                log_level=args.log_level)
    return 0


def worker_app():
    """The app of one of ``serve --workers``' processes: tuned as one server is, settings from the environment."""
    from xinzhi.api.main import create_app

    tuning.few_malloc_arenas()
    tuning.collect_garbage_rarely()
    app = create_app()
    tuning.freeze_start_up()
    return app


def cmd_import(args: argparse.Namespace) -> int:
    """``xinzhi import``: score a CSV or JSONL file of facts into a community's ledger."""
    from xinzhi.errors import ServiceError
    from xinzhi.scoring import import_facts_file

    service = _store(args)
    try:
        path = Path(args.file)
        result = import_facts_file(service, args.community, read_bounded(path, IMPORT_MOST), fmt=format_of(path),
                                   skip_bad_rows=args.skip_bad_rows, name=str(path))
        for error in result.errors:
            print(f"{path}:{error.row}: skipped: {problem_text(error, language())} [{error.code}]", file=sys.stderr)
        if result.errors_total > len(result.errors):
            print(Message.of("problems_unlisted", n=result.errors_total - len(result.errors)).render(language()),
                  file=sys.stderr)
        print(Message.of("import_summary", rows=result.rows, scored=result.scored, duplicates=result.duplicates,
                         skipped=result.skipped).render(language()))
    except (ServiceError, XinzhiError) as exc:
        for problem in exc.problems:  # file:row: message [code], as every layer words it
            print(said(problem), file=sys.stderr)
        message = exc.message if isinstance(exc, ServiceError) else None
        plain = getattr(exc, "detail", None) or Message.of("facts_rejected").render(language())
        print(message.render(language()) if message else plain, file=sys.stderr)
        return 1
    finally:
        service.close()
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    """``xinzhi token``: create a token (the secret goes to stdout, once) or revoke one; both audited."""
    from xinzhi.access import AuditNote, create_token, list_tokens, record_audit, revoke_token
    from xinzhi.errors import ServiceError

    service = _store(args, load_rulesets=False)
    try:
        if args.token_command == "list":
            _print_tokens(list_tokens(service))
            return 0
        if args.token_command == "revoke":
            found = revoke_token(service, args.id)
            record_audit(service, AuditNote(f"token revoke {found or args.id}", actor="cli"),
                         status=200 if found else 404)
            print(f"token {found} revoked" if found else f"no token with the id or label {args.id!r} "
                  "(xinzhi token list shows them)", file=sys.stderr)
            return 0 if found else 1
        created = create_token(service, args.role, community=args.community, resident=args.resident, label=args.label)
        record_audit(service, AuditNote(f"token create {created.id}", actor="cli", community=args.community,
                                        detail={"roles": list(created.roles), "resident": args.resident}), status=201)
    except ServiceError as exc:
        print(exc.detail, file=sys.stderr)
        return 2
    finally:
        service.close()
    print(f"token {created.id} ({', '.join(created.roles)}) — shown once, only its hash is stored:",
          file=sys.stderr)
    print(created.token)
    return 0


def _print_tokens(tokens: list) -> None:
    """One line per token: id, label, roles, scope, when created and whether revoked; never a secret."""
    print("id\tlabel\troles\tcommunity\tresident\tcreated\trevoked")
    for t in tokens:
        print("\t".join([t.id, t.label or "-", "+".join(t.roles), t.community or "-", t.resident or "-",
                         t.created_at.strftime("%Y-%m-%d %H:%M"),
                         t.revoked_at.strftime("%Y-%m-%d %H:%M") if t.revoked_at else "-"]))


def cmd_expire(args: argparse.Namespace) -> int:
    """``xinzhi expire``: write the expiry entries due before a day (meant to run daily)."""
    from xinzhi.clock import today
    from xinzhi.errors import ServiceError
    from xinzhi.ledger import expire_points

    service = _store(args)
    try:
        as_of = args.as_of or today()
        run = expire_points(service, args.community, as_of)
    except ServiceError as exc:
        print(exc.detail, file=sys.stderr)
        return 1
    finally:
        service.close()
    print(f"{run.community}: {run.entries_written} expiry entries, {run.points_expired} points expired before {as_of}")
    return 0


def cmd_close_periods(args: argparse.Namespace) -> int:
    """``xinzhi close-periods``: pay period rules for the periods that ended (meant to run daily)."""
    from xinzhi.clock import today
    from xinzhi.errors import ServiceError
    from xinzhi.scoring import close_periods

    service = _store(args)
    try:
        as_of = args.as_of or today()
        run = close_periods(service, args.community, as_of, args.since)
    except ServiceError as exc:
        print(exc.detail, file=sys.stderr)
        return 1
    finally:
        service.close()
    print(f"{run.community}: periods from {run.since} that ended before {run.as_of} closed: "
          f"{run.awards_written} period award(s) written, {run.restated} restated, {run.resets_written} reset(s)")
    return 0


# commands that change stored data and log what they did
OPERATED = {"serve", "import", "expire", "close-periods", "token"}


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand with its options; each sets ``run`` to the function that carries it out."""
    parser = argparse.ArgumentParser(prog="xinzhi", description="信治 Xinzhi community integrity points")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="load rulesets and list every problem with its line and column")
    p.add_argument("files", nargs="+")
    p.set_defaults(run=cmd_validate)
    p = sub.add_parser("test", help="run each ruleset's embedded tests")
    p.add_argument("files", nargs="+")
    p.set_defaults(run=cmd_test)
    p = sub.add_parser("score", help="score facts (JSONL or CSV) under a ruleset",
                       description="Score facts from empty accounts, as the facts' own awards: period rules, "
                                   "resets (年度清零) and expiry are the store's jobs (close-periods, expire) and "
                                   "embedded tests' closes_until; tiers and vetoes stand as of the last fact.")
    p.add_argument("file")
    p.add_argument("--facts", required=True)
    p.add_argument("--explain", action="store_true", help="list every award and why other rules gave nothing")
    p.add_argument("--ignore-unknown-types", action="store_true",
                   help="skip (and count) facts of types the ruleset does not define, instead of refusing them")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_score)
    p = sub.add_parser("schema", help="print the JSON Schema of the ruleset format")
    p.add_argument("--out")
    p.set_defaults(run=cmd_schema)
    p = sub.add_parser("explain", help="print a ruleset fully resolved (extends applied)")
    p.add_argument("file")
    p.set_defaults(run=cmd_explain)
    p = sub.add_parser("serve", help="run the HTTP API (uvicorn); --demo seeds a demo community")
    p.add_argument("--demo", action="store_true", help="seed community 'yihe' with residents and months of facts")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=whole(1, 65535), default=8000)
    p.add_argument("--database-url", help="overrides XINZHI_DATABASE_URL (default sqlite:///./xinzhi.db)")
    p.add_argument("--log-level", default="info", choices=LOG_LEVELS)
    p.add_argument("--workers", type=int, default=1, choices=range(1, 65), metavar="N",
                   help="server processes (PostgreSQL, or SQLite on one machine); each scores any request")
    p.set_defaults(run=cmd_serve)
    p = sub.add_parser("import", help="import facts (CSV in UTF-8 or GBK, Excel .xlsx, or JSONL) into a ledger")
    p.add_argument("file")
    p.add_argument("--community", required=True)
    p.add_argument("--skip-bad-rows", action="store_true", help="store the good rows of a CSV file with errors")
    p.add_argument("--database-url", help="overrides XINZHI_DATABASE_URL")
    p.set_defaults(run=cmd_import)
    p = sub.add_parser("expire", help="write expiry entries for unspent points past their date (run daily)")
    p.add_argument("--community", required=True)
    p.add_argument("--as-of", type=day, help="expire what expired before this day (default today, Asia/Shanghai)")
    p.add_argument("--database-url", help="overrides XINZHI_DATABASE_URL")
    p.set_defaults(run=cmd_expire)
    p = sub.add_parser("close-periods", help="pay period rules (streaks, absences) for periods that ended (run daily)")
    p.add_argument("--community", required=True)
    p.add_argument("--as-of", type=day,
                   help="close the periods that ended before this day (default today, Asia/Shanghai)")
    p.add_argument("--since", type=day, help="and began on or after this day (default a year before --as-of)")
    p.add_argument("--database-url", help="overrides XINZHI_DATABASE_URL")
    p.set_defaults(run=cmd_close_periods)
    p = sub.add_parser("token", help="create, list or revoke API tokens (committee, staff, resident)")
    tokens = p.add_subparsers(dest="token_command", required=True)
    t = tokens.add_parser("create", help="print a new token once; only its hash is stored")
    t.add_argument("--role", action="append", required=True, choices=["committee", "staff", "resident"],
                   help="repeat for several roles")
    t.add_argument("--community", help="limit the token to one community (required for a resident)")
    t.add_argument("--resident", help="the resident a resident token belongs to")
    t.add_argument("--label", help="who holds it, for the audit trail")
    t.add_argument("--database-url", help="overrides XINZHI_DATABASE_URL")
    t.set_defaults(run=cmd_token)
    t = tokens.add_parser("revoke", help="revoke a token by its id, or by its label")
    t.add_argument("id", help="the token's id (t…) or the label given when it was created")
    t.add_argument("--database-url", help="overrides XINZHI_DATABASE_URL")
    t.set_defaults(run=cmd_token)
    t = tokens.add_parser("list", help="every token: id, label, roles, scope, created, revoked (no secrets)")
    t.add_argument("--database-url", help="overrides XINZHI_DATABASE_URL")
    t.set_defaults(run=cmd_token)
    add_simulate_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one ``xinzhi`` command; what an operator needs (publishes, imports, expiry, retries) goes to stderr.

    A file that is missing or not a file, a database that is not one or not there, text that does
    not decode: one line saying so and exit 2, not a traceback (found by attack: a dozen commands
    showed one). ``XINZHI_TRACEBACK=1`` shows it, for a developer.
    """
    from sqlalchemy.exc import SQLAlchemyError

    args = build_parser().parse_args(argv)
    level = str(getattr(args, "log_level", "info")).upper()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)  # other libraries (alembic, …) speak only when something is wrong
    if args.command in OPERATED:
        logging.getLogger("xinzhi").setLevel(getattr(logging, level, logging.INFO))
    try:
        return args.run(args)
    except (OSError, ValueError, ArithmeticError, RecursionError, SQLAlchemyError) as exc:
        if os.environ.get("XINZHI_TRACEBACK"):
            raise
        print(f"xinzhi {args.command}: {_plainly(exc)}", file=sys.stderr)
        return 2


def _plainly(exc: BaseException) -> str:
    """What went wrong, in one line an operator can act on."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or type(exc).__name__}: {exc.filename}"
    if isinstance(exc, DBAPIError):
        return f"the database could not be used ({str(exc.orig).splitlines()[0] if exc.orig else exc})"
    if isinstance(exc, SQLAlchemyError):
        return f"the database could not be used ({str(exc).splitlines()[0]})"
    if isinstance(exc, RecursionError):
        return "the input nests too deep to read"
    if isinstance(exc, UnicodeDecodeError):
        return f"the text is not UTF-8 (byte {exc.start + 1}): save it as UTF-8"
    return f"{type(exc).__name__}: {exc}"


def read_bounded(path: Path, most: int) -> bytes:
    """A file's bytes, at most ``most`` of them (found by attack: ``/dev/zero`` took 5 GB before any limit)."""
    with path.open("rb") as stream:
        data = stream.read(most + 1)
    if len(data) > most:
        raise ValueError(f"{path} is larger than {most:,} bytes")
    return data


if __name__ == "__main__":
    sys.exit(main())
