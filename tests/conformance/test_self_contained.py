"""The code explains itself from the repository: no comment or doc cites a document it does not
hold (the product's design notes live outside it; what a reader needs is written in docs/)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITATION = re.compile(r"\bSPEC\b(\s+(section|§)|\s*§|\s+\d|:)")


def test_no_file_cites_a_document_outside_the_repository():
    citing = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("bot", "storage", "docs", "bench", "tests")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in (".py", ".md", ".yml") and path != Path(__file__).resolve()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CITATION.search(line)
    ]
    assert citing == []
