"""The client's address behind proxies: the rightmost untrusted hop of X-Forwarded-For, and
only when the peer is a trusted proxy."""

import pytest

from core.client_address import client_ip


@pytest.fixture(autouse=True)
def _proxies(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.0/8", "172.16.0.0/12", "::1/128"]


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        # No proxy in front: the peer, whatever the header says.
        ("203.0.113.5", "", "203.0.113.5"),
        ("203.0.113.5", "1.2.3.4", "203.0.113.5"),
        # nginx (trusted) appended the address it saw: that one.
        ("172.18.0.3", "203.0.113.5", "203.0.113.5"),
        # A forged left part changes nothing.
        ("172.18.0.3", "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        ("172.18.0.3", "127.0.0.1, 10.0.0.1, 203.0.113.5", "203.0.113.5"),
        # Two trusted proxies: skipped from the right.
        ("127.0.0.1", "203.0.113.5, 172.18.0.7", "203.0.113.5"),
        # Junk a client wrote stops the walk at the last address a proxy wrote.
        ("172.18.0.3", "203.0.113.5, not-an-ip", "172.18.0.3"),
        ("172.18.0.3", "<script>, 203.0.113.5", "203.0.113.5"),
        # Everything trusted: the farthest hop.
        ("172.18.0.3", "127.0.0.1", "127.0.0.1"),
        # IPv6 clients.
        ("::1", "2001:db8::7", "2001:db8::7"),
        # A peer that is no address at all.
        ("", "203.0.113.5", "unknown"),
    ],
)
def test_the_rightmost_untrusted_hop(rf, peer, forwarded, client):
    request = rf.get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == client


def test_no_trusted_proxy_means_the_header_is_never_read(rf, settings):
    settings.TRUSTED_PROXIES = []
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client_ip(request) == "127.0.0.1"
