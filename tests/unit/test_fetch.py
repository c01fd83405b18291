"""Which addresses a data source may reach (bot/domain/addresses.py), and the operator's
allow-list as it is parsed from NORTHLINE_FETCH_ALLOW."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from bot.domain.addresses import AllowList, as_ipv4, parse_address, refusal
from bot.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "private"),
        ("10.0.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("100.127.255.254", "shared (CGNAT)"),
        ("224.0.0.251", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "private"),
        ("255.255.255.255", "private"),
        ("192.0.2.1", "private"),  # documentation
        ("198.18.0.1", "private"),  # benchmarking
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("fe80::1", "link-local"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback (inside an IPv6 address)"),
        ("::ffff:10.0.0.1", "private (inside an IPv6 address)"),
        ("::127.0.0.1", "loopback (inside an IPv6 address)"),  # IPv4-compatible
        ("2002:7f00:1::", "loopback (inside an IPv6 address)"),  # 6to4
        ("2002:a9fe:a9fe::1", "link-local (inside an IPv6 address)"),
        ("64:ff9b::10.0.0.1", "private (inside an IPv6 address)"),  # NAT64
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private (inside an IPv6 address)"),  # Teredo → 10.0.0.1
        ("2001:db8::1", "private"),  # documentation
    ],
)
def test_addresses_off_the_public_internet_are_refused_with_their_kind(address, reason):
    assert refusal(ip_address(address)) == reason


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"],
)
def test_public_addresses_pass(address):
    assert refusal(ip_address(address)) is None


def test_a_mapped_address_is_connected_to_as_the_ipv4_address_it_is():
    assert as_ipv4(ip_address("::ffff:8.8.8.8")) == ip_address("8.8.8.8")
    assert as_ipv4(ip_address("2606:4700::1")) == ip_address("2606:4700::1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("example.com", None),
        ("2130706433", None),
    ],
)
def test_parse_address_reads_literals_only(text, expected):
    parsed = parse_address(text)
    assert (str(parsed) if parsed is not None else None) == expected


def test_the_allow_list_admits_names_exactly_and_addresses_by_network():
    allow = AllowList.parse(["Metrics.Internal.", " 10.20.0.0/16 ", "192.168.1.5", "fd00::/8", ""])
    assert allow.hosts == frozenset({"metrics.internal"})
    assert allow.admits("metrics.internal", ip_address("127.0.0.1"))
    assert allow.admits("METRICS.internal.", ip_address("10.9.9.9"))
    assert not allow.admits("api.metrics.internal", ip_address("127.0.0.1"))  # no wildcards
    assert allow.admits("x.example", ip_address("10.20.255.1"))
    assert not allow.admits("x.example", ip_address("10.21.0.1"))
    assert allow.admits("x.example", ip_address("192.168.1.5"))
    assert not allow.admits("x.example", ip_address("192.168.1.6"))
    assert allow.admits("x.example", ip_address("::ffff:10.20.0.1"))  # mapped: its IPv4 form
    assert allow.admits("x.example", ip_address("fd00::1"))
    assert not allow.admits("x.example", ip_address("::1"))


@pytest.mark.parametrize(
    "entry", ["http://10.0.0.1", "host name", "10.0.0.0/33", "a..b", "-bad.example", "x" * 64]
)
def test_the_allow_list_refuses_what_is_neither_a_host_nor_an_address(entry):
    with pytest.raises(ValueError):
        AllowList.parse([entry])


def test_the_setting_reads_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("NORTHLINE_FETCH_ALLOW", "metrics.internal, 10.0.0.0/8,,127.0.0.1")
    settings = load_settings(slack_signing_secret="0123456789abcdef", slack_bot_token="xoxb-1")
    assert settings.fetch_allow == ("metrics.internal", "10.0.0.0/8", "127.0.0.1")


def test_the_setting_is_empty_by_default(monkeypatch):
    monkeypatch.delenv("NORTHLINE_FETCH_ALLOW", raising=False)
    assert load_settings(slack_signing_secret="0123456789abcdef", slack_bot_token="xoxb-1").fetch_allow == ()


def test_a_malformed_setting_stops_start_up_naming_it(monkeypatch):
    monkeypatch.setenv("NORTHLINE_FETCH_ALLOW", "metrics.internal,http://10.0.0.1/")
    with pytest.raises(SettingsError) as raised:
        load_settings(slack_signing_secret="0123456789abcdef", slack_bot_token="xoxb-1")
    assert str(raised.value) == (
        "Configuration error: NORTHLINE_FETCH_ALLOW is malformed; it should be host names, IP addresses"
        " or CIDRs separated by commas, e.g. metrics.internal,10.20.0.0/16."
    )
