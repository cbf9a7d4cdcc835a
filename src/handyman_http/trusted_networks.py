"""Networks whose callers may use the admin endpoints without the admin token
(`HANDYMAN_ADMIN_NETWORKS`; docs/site-compatibility.md).

The course site calls merge_users and split_users without any credential: the service it was
written for trusted its private network instead. The address checked is the peer the WSGI server
reports (`REMOTE_ADDR`), never a header a client can write.
"""

from __future__ import annotations

import ipaddress
import re
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from attrs import frozen

Network = IPv4Network | IPv6Network

_SEPARATORS = re.compile(r"[\s,]+")


class InvalidNetworks(ValueError):
    """A configured network list that cannot be read; the message names the bad entry."""


@frozen
class TrustedNetworks:
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, text: str) -> TrustedNetworks:
        """CIDRs (IPv4 or IPv6) separated by spaces or commas; a bare address is one host.
        An entry with host bits set (`10.0.0.1/8`) is refused rather than widened: whoever
        wrote it meant something else, and guessing would trust more than was asked."""
        networks = []
        for entry in _SEPARATORS.split(text.strip()):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=True))
            except ValueError as error:
                raise InvalidNetworks(f"{entry!r} is not a network in CIDR form: {error}") from None
        return cls(tuple(networks))

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __str__(self) -> str:
        return " ".join(str(network) for network in self.networks)

    def contain(self, peer_address: str | None) -> bool:
        """False for anything that is not an IP address (a missing peer, a Unix socket).
        An IPv4 peer seen through a dual-stack socket (`::ffff:10.1.2.3`) is checked as the
        IPv4 address too."""
        address = _address(peer_address)
        if address is None:
            return False
        candidates: list[IPv4Address | IPv6Address] = [address]
        if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(candidate in network for candidate in candidates for network in self.networks)


NO_NETWORKS = TrustedNetworks()
"""The default: no network is trusted."""


def _address(text: str | None) -> IPv4Address | IPv6Address | None:
    if not text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
