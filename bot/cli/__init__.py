"""The `northline` command: one module per command group, each adding its own parsers."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bot.cli import data, database, demo, jobs, serve

# Each command's parser (it sets the function that runs the command), in the order `northline
# --help` lists them.
PARSERS = (
    serve.add_serve,
    database.add_db,
    demo.add_demo,
    data.add_export,
    data.add_import,
    jobs.add_jobs,
    jobs.add_clock,
    jobs.add_worker,
    data.add_workspace,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="northline", description="Northline: KRAs, OKRs and sprint goals in Slack."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in PARSERS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = args.run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # `northline demo | head`: the reader left; that is not an error worth a traceback.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stdout must stay writable for exit
        code = 0
    sys.exit(code)
