from __future__ import annotations

from django.test import RequestFactory

from epicommand.core.middleware import client_ip


def test_direct_connections_use_the_socket_address(settings):
    settings.EPICOMMAND_PROXIES = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "10.0.0.5"


def test_behind_a_proxy_the_hop_it_appended_counts_not_what_the_client_wrote(settings):
    settings.EPICOMMAND_PROXIES = 1
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "203.0.113.9"


def test_garbage_addresses_are_dropped(settings):
    settings.EPICOMMAND_PROXIES = 1
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="'; DROP TABLE x")
    assert client_ip(request) is None
