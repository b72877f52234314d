"""The address of the client behind the site's proxies.

`REMOTE_ADDR` is the peer of the HTTP server: behind nginx, nginx itself. Only when that
peer is one of `TRUSTED_PROXIES` is `X-Forwarded-For` read, from the right (each proxy
appends the address it received the request from): the first hop that is not a trusted
proxy is the client. Anything to the left of it was written by the client and is ignored,
so a forged header never changes the address that limits and lockouts count.
"""

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

UNKNOWN_ADDRESS = "unknown"


@cache
def _trusted_networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _parse(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _is_trusted(address: IPAddress) -> bool:
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    return any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The client's address as text; "unknown" when the server gave none that parses."""
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return UNKNOWN_ADDRESS
    if not _is_trusted(peer):
        return str(peer)
    client = peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed(forwarded.split(",")):
        address = _parse(hop)
        if address is None:
            # A hop no proxy of ours wrote: nothing left of it can be believed.
            break
        client = address
        if not _is_trusted(address):
            break
    return str(client)
