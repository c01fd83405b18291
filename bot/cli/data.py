"""`northline export`, `northline import` (Northline's YAML; a Viva Goals export in viva.py) and
`northline workspace purge`: a workspace's data out, in, and deleted once it has left."""

from __future__ import annotations

import argparse
import sys

from bot.bootstrap import _workspace_client
from bot.cli.common import fail, installed_workspace
from bot.cli.viva import import_viva
from bot.domain.clock import stored_now


def add_export(sub) -> None:
    export_parser = sub.add_parser(
        "export", help="a workspace's KRAs, KPIs, OKRs and check-ins as CSV or JSON"
    )
    export_parser.add_argument(
        "--team",
        default=None,
        help="the workspace's Slack team id (T…; default: SLACK_BOT_TOKEN's workspace)",
    )
    export_parser.add_argument("--format", choices=["csv", "json"], default="csv")
    export_parser.add_argument("--output", default=None, help="write to this file (default: standard output)")
    export_parser.add_argument(
        "--report",
        default=None,
        metavar="PERSON",
        help="instead, PERSON's KRA review pack as Markdown (a Slack user id U…, <@U…>, or a name Northline knows)",
    )
    export_parser.add_argument(
        "--period",
        default="",
        help="with --report: a quarter (2026-Q4), a fiscal year (FY2026, last fiscal year) or 'last 12 months' "
        "(default: this quarter)",
    )
    export_parser.set_defaults(run=export)


def add_import(sub) -> None:
    import_parser = sub.add_parser(
        "import",
        help="objectives and key results from a YAML file (see examples/okrs.yaml)",
        description="Checks the whole file first and writes nothing if any of it is wrong (exit 1, each "
        "problem with its line). Re-importing the same file changes nothing.",
    )
    import_parser.add_argument("file", help="the YAML file (with --from viva: the Viva Goals export)")
    import_parser.add_argument(
        "--team", default=None, help="the workspace's Slack team id (default: the file's `team`)"
    )
    import_parser.add_argument(
        "--dry-run", action="store_true", help="check the file and report, write nothing"
    )
    import_parser.add_argument(
        "--from", dest="source", choices=["yaml", "viva"], default="yaml",
        help="the file's kind: Northline's YAML (default) or a Viva Goals export (.xlsx or .csv)",
    )  # fmt: skip
    import_parser.add_argument("--owners", default=None, help="viva: a CSV of email,slack_user_id lines")
    import_parser.add_argument("--checkins", default=None, help="viva, CSV form: the check-in history CSV")
    import_parser.add_argument(
        "--skip-unmapped", action="store_true", help="viva: import the rows that map, leave out the rest"
    )
    import_parser.set_defaults(run=import_okrs)


def add_workspace(sub) -> None:
    workspace_parser = sub.add_parser("workspace", help="workspace data lifecycle")
    workspace_sub = workspace_parser.add_subparsers(dest="action", required=True)
    purge_parser = workspace_sub.add_parser(
        "purge",
        help="delete the data of workspaces uninstalled longer ago than DATA_RETENTION_DAYS (default 30)",
    )
    purge_parser.add_argument("team", nargs="?", help="one workspace's team id (with --now)")
    purge_parser.add_argument("--now", action="store_true", help="purge that workspace now, whatever its age")
    workspace_parser.set_defaults(run=workspace)


def export(args: argparse.Namespace) -> int:
    """A workspace's KRAs, KPIs, objectives, key results and check-ins as CSV or JSON."""
    from bot.settings import load_database_url
    from storage.db import Database, ensure_schema

    db = Database.from_url(load_database_url())
    try:
        ensure_schema(db)
        team = args.team or installed_workspace(db)
        if args.team:
            installed_workspace(db)  # recorded, if it is this one, before anyone typed a command
        if not team:
            return fail(
                "export", "name the workspace with --team T… (or set SLACK_BOT_TOKEN: its workspace is used)."
            )
        text, rows = _export_text(db, args, team)
    except ValueError as error:
        return fail("export", str(error))
    finally:
        db.dispose()
    if not args.output:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    except OSError as error:
        return fail("export", f"can't write {args.output}: {error.strerror or error}")
    what = f"the review pack of {args.report}" if args.report else f"{rows} rows"
    print(f"wrote {what} of {team} to {args.output}", file=sys.stderr)
    return 0


def _export_text(db, args: argparse.Namespace, team: str) -> tuple[str, int]:
    """The file `export` writes and how many rows it has. ValueError: a message for the operator."""
    from bot.errors import NotFound
    from bot.services.export import channels_in, export_rows, settings_of, to_csv, to_json, with_channel_names
    from bot.services.importer import find_workspace
    from bot.slack_client import channel_names

    with db.session() as session:
        try:
            workspace = find_workspace(session, team)
        except NotFound:
            raise ValueError(f"no workspace {team} in this database; check the team id (T…).") from None
        if args.report:  # Markdown, whatever --format says
            return _review_report(session, workspace, args.report, args.period), 0
        rows = export_rows(session, workspace)
        settings = settings_of(session, workspace)
    client = _workspace_client(db, workspace)[0] if rows else None
    if client is not None:  # names beside channel ids, asked after the session closed
        rows = with_channel_names(rows, channel_names(client, channels_in(rows)))
    if args.format == "json":
        exported_at = stored_now()
        return to_json(rows, team_id=team, exported_at=exported_at, settings=settings), len(rows)
    return to_csv(rows), len(rows)


def _review_report(session, workspace, person: str, period_text: str) -> str:
    """`export --report PERSON [--period P]`: the person's KRA review pack as Markdown (the same
    pack `/kra report` sends). ValueError: a message for the operator."""
    from bot.domain.review_pack import parse_period
    from bot.errors import NorthlineError
    from bot.services import review_pack
    from bot.services.okrs import stored_names
    from bot.ui.review_pack import pack_markdown

    now = stored_now()
    try:
        person_id = review_pack.resolve_person(session, workspace, person)
    except NorthlineError as error:
        raise ValueError(error.message) from None
    period = parse_period(period_text or "", fiscal_start_month=workspace.fiscal_year_start_month, now=now)
    pack = review_pack.build_pack(session, workspace, person_id, period, now)
    reviewers = sorted({r.reviewer_id for kra in pack.kras for r in kra.reviews})
    return pack_markdown(pack, stored_names(session, workspace, reviewers))


def import_okrs(args: argparse.Namespace) -> int:
    """Objectives and key results from a YAML file (format: bot/forms/okr_file.py)."""
    from bot.errors import NotFound
    from bot.services.importer import MAX_FILE_BYTES, ImportRejected, Problem, import_file, try_sources
    from bot.settings import load_database_url, load_source_config
    from storage.db import Database, ensure_schema

    if getattr(args, "source", "yaml") == "viva":
        return import_viva(args)
    try:
        with open(args.file, "rb") as source:
            raw = source.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return fail("import", f"can't read {args.file}: {error.strerror or error}")
    try:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            raise ImportRejected([Problem(line, "the file is not UTF-8 text")]) from None
        db = Database.from_url(load_database_url())
        try:
            ensure_schema(db)
            installed_workspace(db)
            sources = load_source_config()
            # A ready connector's source is tried once first, outside the import's transaction.
            try_sources(db, text, team_id=args.team, today=stored_now().date(), sources=sources)
            with db.session() as session:
                result = import_file(session, text, team_id=args.team, sources=sources)
                if args.dry_run:
                    session.rollback()
        finally:
            db.dispose()
    except ImportRejected as rejected:
        print(rejected.render(args.file), file=sys.stderr)
        return 1
    except NotFound as error:
        return fail("import", error.message)
    if args.dry_run:
        print(
            f"{args.file} checked for {result.team_id}, nothing written (--dry-run); it would have: {result.summary()}"
        )
    else:
        print(f"Imported {args.file} into {result.team_id}: {result.summary()}")
    return 0


def workspace(args: argparse.Namespace) -> int:
    """`northline workspace purge [T] [--now]`: delete uninstalled workspaces' data."""
    from bot.services import lifecycle
    from bot.settings import load_database_url, load_retention_days
    from storage.db import Database, ensure_schema

    db = Database.from_url(load_database_url())
    ensure_schema(db)
    try:
        if args.team and args.now:
            if not lifecycle.purge(db, args.team):
                return fail("workspace", f"no workspace {args.team} in this database")
            print(f"purged {args.team}")
            return 0
        if args.team:
            return fail(
                "workspace", "purging one workspace at once needs --now: northline workspace purge T --now"
            )
        days = load_retention_days()
        purged = lifecycle.purge_expired(db, days)
        print(
            f"purged {len(purged)} workspace(s) uninstalled more than {days} days ago: {', '.join(purged) or 'none'}"
        )
        return 0
    finally:
        db.dispose()
