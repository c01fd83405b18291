"""`northline import --from viva`: a Viva Goals export (bot/importers/viva/), its owners matched
by email through Slack first, outside any transaction."""

from __future__ import annotations

import argparse
import sys

from bot.bootstrap import _workspace_client
from bot.cli.common import fail, installed_workspace

VIVA_MAX_BYTES = 20_000_000


def import_viva(args: argparse.Namespace) -> int:
    """A Viva Goals export (.xlsx, or .csv with --checkins CSV): bot/importers/viva/."""
    from bot.errors import NotFound, NotInstalled
    from bot.services.importer import ImportRejected, find_workspace
    from bot.settings import load_database_url
    from storage.db import Database, ensure_schema

    note = None
    try:
        try:
            sheets, mapping = _read_viva_export(args)
        except OSError as error:
            return fail("import", f"can't read {error.filename or args.file}: {error.strerror or error}")
        db = Database.from_url(load_database_url())
        try:
            ensure_schema(db)
            team = args.team or installed_workspace(db)
            if not team:
                return fail("import", "name the workspace to import into: --team T0123ABCD")
            with db.session() as session:
                workspace = find_workspace(session, team)
                fiscal_start = workspace.fiscal_year_start_month
            owners, note = _viva_owners(db, workspace, sheets, mapping)
            outcome = _apply_viva(db, team, sheets, owners, fiscal_start, args)
        finally:
            db.dispose()
    except ImportRejected as rejected:
        return _viva_rejected(args, rejected.problems, note)
    except (NotFound, NotInstalled) as error:
        return fail("import", error.message)
    if note:
        print(note, file=sys.stderr)
    if args.dry_run:
        print(
            f"{args.file} checked for {team}, nothing written (--dry-run); it would have: {outcome.summary()}"
        )
    else:
        print(f"Imported {args.file} into {team}: {outcome.summary()}")
    return 0


def _read_capped(path: str) -> bytes:
    """A file's bytes; ImportRejected when it is larger than VIVA_MAX_BYTES."""
    from bot.services.importer import ImportRejected, Problem

    with open(path, "rb") as source:
        data = source.read(VIVA_MAX_BYTES + 1)
    if len(data) > VIVA_MAX_BYTES:
        raise ImportRejected([Problem(None, f"{path} is larger than {VIVA_MAX_BYTES:,} bytes")])
    return data


def _utf8(data: bytes, path: str) -> str:
    """data as text; ImportRejected naming the line when it is not UTF-8."""
    from bot.services.importer import ImportRejected, Problem

    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportRejected([Problem(line, f"{path} is not UTF-8 text")]) from None


def _read_viva_export(args: argparse.Namespace):
    """The export's sheets (a workbook, or a CSV with its check-ins CSV) and the --owners map."""
    from bot.importers import viva

    data = _read_capped(args.file)
    if data[:2] == b"PK":  # a zip: an .xlsx workbook
        sheets = viva.read_workbook(data)
    else:
        checkins = _utf8(_read_capped(args.checkins), args.checkins) if args.checkins else None
        sheets = viva.read_csv(_utf8(data, args.file), checkins)
    mapping = viva.read_owner_map(_utf8(_read_capped(args.owners), args.owners)) if args.owners else {}
    return sheets, mapping


def _viva_owners(db, workspace, sheets, mapping: dict[str, str]):
    """Slack first, outside any transaction: who owns what, by email. (owners, a note or None)."""
    from bot.importers import viva

    note = None
    emails = viva.owner_emails(sheets)
    client = None
    if emails - mapping.keys():
        client, why_not = _workspace_client(db, workspace)
        note = why_not and f"{why_not} Owners were matched from --owners only."
    owners, lookup_note = viva.resolve_owners(emails, mapping, client and _email_lookup(client))
    return owners, lookup_note or note


def _apply_viva(db, team: str, sheets, owners, fiscal_start: int, args: argparse.Namespace):
    """Plan, check and write the import; rolled back again with --dry-run."""
    from bot.importers import viva

    plan = viva.plan.plan(sheets, owners, fiscal_year_start_month=fiscal_start)
    parsed = viva.check(plan, skip_unmapped=args.dry_run or args.skip_unmapped)
    return viva.import_plan(db, team, plan, parsed, owners, dry_run=args.dry_run)


def _viva_rejected(args: argparse.Namespace, problems: list, note: str | None) -> int:
    """Say why nothing was imported: the first 200 problems, and what to do about them."""
    print(f"{args.file} was not imported, nothing was changed: {len(problems)} problem(s):", file=sys.stderr)
    for problem in problems[:200]:
        where = f"row {problem.line}: " if problem.line else ""
        print(f"  {where}{problem.message}", file=sys.stderr)
    if len(problems) > 200:
        print(f"  …and {len(problems) - 200} more", file=sys.stderr)
    if any("owners file" in p.message for p in problems) and note:
        print(note, file=sys.stderr)
    if not args.skip_unmapped and any(p.line for p in problems):
        print("Fix those rows, or pass --skip-unmapped to import the rest.", file=sys.stderr)
    return 1


def _email_lookup(client):
    """users.lookupByEmail as the Viva import asks it: a user, None for no one, or LookupRefused."""
    from slack_sdk.errors import SlackApiError

    from bot.importers.viva import LookupRefused

    def lookup(email: str) -> dict | None:
        try:
            return client.users_lookupByEmail(email=email)["user"]
        except SlackApiError as error:
            code = error.response.get("error") or "unknown_error"
            if code == "users_not_found":
                return None
            raise LookupRefused(code) from error

    return lookup


# --- the scheduler: `northline jobs run KIND` and `northline clock` -----------------------------
