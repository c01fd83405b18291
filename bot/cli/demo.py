"""`northline demo`: a demo workspace in a fresh SQLite file (bot/demo/), printed as text."""

from __future__ import annotations

import argparse


def add_demo(sub) -> None:
    parser = sub.add_parser("demo", help="a demo workspace in a fresh SQLite file, printed as text")
    parser.add_argument("--path", default=None, help="where to write the SQLite file (default: a temp dir)")
    parser.set_defaults(run=demo)


def demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    print(run_demo(args.path))
    return 0
