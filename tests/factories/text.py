"""Hostile text: what people may type."""

from __future__ import annotations

from hypothesis import strategies as st

BROADCASTS = ("<!here>", "<!channel>", "<!everyone>", "@here", "@channel", "@everyone")


free_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=60
)
