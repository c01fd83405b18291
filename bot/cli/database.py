"""`northline db upgrade|current`: the database schema against the code's."""

from __future__ import annotations

import argparse


def add_db(sub) -> None:
    parser = sub.add_parser("db", help="database schema")
    parser.add_argument("action", choices=["upgrade", "current"])
    parser.set_defaults(run=database)


def database(args: argparse.Namespace) -> int:
    from bot.settings import load_database_url
    from storage.db import Database, schema_state, upgrade

    url = load_database_url()
    if args.action == "upgrade":
        upgrade(url)
    current, head = schema_state(Database.from_url(url).engine)
    print(f"database at {current or 'nothing'}; code head {head}")
    return 0 if current == head else 1
