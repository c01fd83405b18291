import pytest

from bot.domain.references import RefKind, format_ref, parse_any_ref, parse_ref


@pytest.mark.parametrize(
    ("kind", "number", "expected"),
    [
        (RefKind.KRA, 3, "KRA-3"),
        (RefKind.KPI, 7, "KPI-7"),
        (RefKind.OBJ, 12, "OBJ-12"),
        (RefKind.KR, 45, "KR-45"),
        (RefKind.SPR, 4, "SPR-4"),
        ("kra", 3, "KRA-3"),
    ],
)
def test_format_ref(kind, number, expected):
    assert format_ref(kind, number) == expected


@pytest.mark.parametrize(
    "text", ["KRA-3", "kra-3", "Kra-3", "KRA3", "kra3", " KRA-3 ", "#KRA-3", "#kra3", "KRA-003"]
)
def test_parse_ref_accepts(text):
    assert parse_ref(text, RefKind.KRA) == 3


def test_parse_ref_each_kind():
    for kind in RefKind:
        assert parse_ref(format_ref(kind, 42), kind) == 42
        assert parse_ref(format_ref(kind, 42).lower(), kind) == 42


def test_parse_ref_kind_given_as_text():
    assert parse_ref("KR-45", "kr") == 45


def test_parse_ref_limits():
    assert parse_ref("KR-1", RefKind.KR) == 1
    assert parse_ref("KR-1000000000", RefKind.KR) == 10**9


@pytest.mark.parametrize(
    "text",
    [
        "",
        "KRA",
        "KRA-",
        "KRA-0",
        "KRA-1000000001",
        "KRA-" + "9" * 5000,  # no slow or failing int() on huge input
        "KRA--3",
        "KRA 3",
        "KRA-3.5",
        "KRA-x",
        "KPI-3",  # another kind
        "KR-3",
        "3",
        "KRA-٣",  # a non-ASCII digit
        "KRA-3 extra",
    ],
)
def test_parse_ref_refuses(text):
    with pytest.raises(ValueError, match="looks like KRA-3"):
        parse_ref(text, RefKind.KRA)


def test_kr_does_not_read_a_kra():
    with pytest.raises(ValueError, match="looks like KR-3"):
        parse_ref("KRA-3", RefKind.KR)


def test_refusal_quotes_the_text():
    with pytest.raises(
        ValueError, match="^“OBJ-x” is not a valid OBJ reference; a valid one looks like OBJ-3$"
    ):
        parse_ref("OBJ-x", RefKind.OBJ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("KRA-3", (RefKind.KRA, 3)),
        ("kr-45", (RefKind.KR, 45)),
        ("KR45", (RefKind.KR, 45)),
        ("obj-12", (RefKind.OBJ, 12)),
        ("#SPR-4", (RefKind.SPR, 4)),
        ("kpi7", (RefKind.KPI, 7)),
    ],
)
def test_parse_any_ref(text, expected):
    assert parse_any_ref(text) == expected


@pytest.mark.parametrize("text", ["", "OKR-1", "KRA-0", "hello"])
def test_parse_any_ref_refuses(text):
    with pytest.raises(ValueError, match="References look like KRA-3"):
        parse_any_ref(text)
