"""Reading HANDYMAN_ADMIN_NETWORKS and deciding whether a peer address is inside it."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_http.settings import Settings, admin_networks_from
from handyman_http.trusted_networks import InvalidNetworks, TrustedNetworks

ipv4_networks = st.ip_addresses(v=4).flatmap(
    lambda address: st.integers(0, 32).map(
        lambda prefix: ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    )
)
ipv6_networks = st.ip_addresses(v=6).flatmap(
    lambda address: st.integers(0, 128).map(
        lambda prefix: ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    )
)
networks = st.lists(st.one_of(ipv4_networks, ipv6_networks), max_size=5)
separators = st.sampled_from([" ", ",", ", ", "\n", "  \t"])


def test_the_documented_example_reads_as_three_networks() -> None:
    parsed = TrustedNetworks.parse("127.0.0.0/8 10.0.0.0/8 ::1/128")
    assert [str(network) for network in parsed.networks] == ["127.0.0.0/8", "10.0.0.0/8", "::1/128"]


def test_an_empty_list_trusts_nobody() -> None:
    parsed = TrustedNetworks.parse("  ")
    assert not parsed
    assert not parsed.contain("127.0.0.1")


def test_a_bare_address_is_one_host() -> None:
    parsed = TrustedNetworks.parse("10.1.2.3")
    assert parsed.contain("10.1.2.3")
    assert not parsed.contain("10.1.2.4")


@pytest.mark.parametrize(
    "entry", ["10.0.0.0/33", "10.0.0.1/8", "localhost", "10.0.0.0/8/8", "::1/129", "*"]
)
def test_an_entry_that_is_no_network_is_refused_by_name(entry: str) -> None:
    with pytest.raises(InvalidNetworks, match=re.escape(repr(entry))):
        TrustedNetworks.parse(f"127.0.0.0/8 {entry}")


def test_the_settings_name_the_variable_of_a_bad_entry() -> None:
    with pytest.raises(InvalidNetworks, match=re.escape("HANDYMAN_ADMIN_NETWORKS: '10.0.0.0/33'")):
        Settings.from_environment({"HANDYMAN_ADMIN_NETWORKS": "10.0.0.0/33"})


def test_without_the_variable_no_network_is_trusted() -> None:
    assert not admin_networks_from({})


@given(networks, separators)
def test_any_list_of_networks_reads_back_as_written(
    written: list[ipaddress.IPv4Network | ipaddress.IPv6Network], separator: str
) -> None:
    text = separator.join(str(network) for network in written)
    assert TrustedNetworks.parse(text).networks == tuple(written)


@given(networks, st.ip_addresses())
def test_an_address_is_trusted_exactly_when_a_network_contains_it(
    written: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    """Both forms of an IPv4-mapped IPv6 address count: as written and as the IPv4 address."""
    trusted = TrustedNetworks(tuple(written))
    forms = [address]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        forms.append(address.ipv4_mapped)
    expected = any(form in network for form in forms for network in written)
    assert trusted.contain(str(address)) == expected


@given(ipv4_networks, st.ip_addresses(v=4))
def test_an_ipv4_peer_seen_through_a_dual_stack_socket_is_checked_as_ipv4(
    network: ipaddress.IPv4Network, address: ipaddress.IPv4Address
) -> None:
    trusted = TrustedNetworks((network,))
    assert trusted.contain(f"::ffff:{address}") == (address in network)


@pytest.mark.parametrize("peer", [None, "", "unix:/run/handyman.sock", "127.0.0.1:8080", "x"])
def test_a_peer_that_is_no_ip_address_is_never_trusted(peer: str | None) -> None:
    assert not TrustedNetworks.parse("0.0.0.0/0 ::/0").contain(peer)


def test_a_mapped_peer_matches_a_network_written_in_the_mapped_form_too() -> None:
    assert TrustedNetworks.parse("::ffff:10.0.0.0/104").contain("::ffff:10.1.2.3")
