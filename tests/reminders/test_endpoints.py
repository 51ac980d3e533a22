"""The push endpoint rules: which URLs and which addresses the sender may ever reach."""

from __future__ import annotations

import ipaddress

import pytest

from aftercare.config import ConfigError, load_config
from aftercare.reminders.endpoints import (
    DEFAULT_PUSH_SERVICES,
    EndpointRefused,
    EndpointRules,
    EndpointUnresolved,
    PushService,
    check_endpoint,
    is_public,
)
from tests.reminders.conftest import HostsResolver

RULES = EndpointRules(PushService(host) for host in DEFAULT_PUSH_SERVICES)
LOOPBACK_RULES = EndpointRules(
    (PushService(host) for host in DEFAULT_PUSH_SERVICES), allow_loopback=True
)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc:APA91b-xyz",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",
        "https://web.push.apple.com/QGuQyavXutnMH",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA%2b",
        "https://fcm.googleapis.com:443/fcm/send/abc",
    ],
)
def test_the_browsers_push_services_are_allowed(endpoint):
    target = RULES.check(endpoint)
    assert target.port == 443 and not target.loopback


@pytest.mark.parametrize(
    ("endpoint", "code"),
    [
        # IP addresses, in every spelling a URL parser or the C library accepts.
        ("https://127.0.0.1:22/", "ip_address"),
        ("https://10.0.0.1/", "ip_address"),
        ("https://169.254.169.254/latest/meta-data/", "ip_address"),
        ("https://0x7f000001/", "ip_address"),
        ("https://2130706433/", "ip_address"),
        ("https://0177.0.0.1/", "ip_address"),
        ("https://127.1/", "ip_address"),
        ("https://[::1]:18443/v6", "ip_address"),
        ("https://[::ffff:127.0.0.1]/", "ip_address"),
        ("https://[::ffff:7f00:1]/", "ip_address"),
        ("https://[64:ff9b::a00:1]/", "ip_address"),
        ("https://[fe80::1%25eth0]/", "ip_address"),
        # A name, but not a push service's.
        ("https://localhost:6379/x", "not_allowed"),
        ("https://evil.example/fcm.googleapis.com", "not_allowed"),
        ("https://fcm.googleapis.com.evil.example/x", "not_allowed"),
        ("https://notfcm.googleapis.com/x", "not_allowed"),
        # User info, whichever way it is written.
        ("https://u:p@fcm.googleapis.com/x", "user_info"),
        ("https://fcm.googleapis.com@evil.example/x", "user_info"),
        ("https://@fcm.googleapis.com/x", "user_info"),
        # Ports.
        ("https://fcm.googleapis.com:8443/x", "port"),
        ("https://push.invalid:x/v", "port"),
        ("https://fcm.googleapis.com:99999/x", "port"),
        # Schemes.
        ("http://fcm.googleapis.com/x", "scheme"),
        ("http://127.0.0.1:9/x", "scheme"),
        ("ftp://fcm.googleapis.com/x", "scheme"),
        ("javascript:alert(1)", "malformed"),
        # What URL parsers read differently.
        ("https://evil.example\\@fcm.googleapis.com/x", "malformed"),
        ("https://fcm.googleapis.com/\x00x", "malformed"),
        ("https://fcm.googleapis.com/a b", "malformed"),
        ("https://fcm.googleapis.com\t/x", "malformed"),
        ("https://fcm.googleapis.çom/x", "malformed"),
        ("https://[::1/x", "malformed"),
        ("https://", "malformed"),
        ("https://fcm.googleapis.com./x", "malformed"),
        ("https://fcm.googleapis.com../x", "malformed"),
    ],
)
def test_hostile_endpoints_are_refused_with_the_rule_they_break(endpoint, code):
    with pytest.raises(EndpointRefused) as refused:
        RULES.check(endpoint)
    assert refused.value.code == code, refused.value.reason


@pytest.mark.parametrize(
    "endpoint",
    ["http://127.0.0.1:8123/push/a", "https://[::1]:9/x", "http://localhost:5001/p"],
)
def test_the_loopback_setting_lets_local_receivers_through_and_only_them(endpoint):
    with pytest.raises(EndpointRefused):
        RULES.check(endpoint)
    assert LOOPBACK_RULES.check(endpoint).loopback


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://0x7f000001/",
        "https://[::ffff:127.0.0.1]/",
        "https://10.0.0.1/",
        "http://u:p@127.0.0.1:9/",
        "https://169.254.169.254/",
    ],
)
def test_the_loopback_setting_lets_nothing_else_through(endpoint):
    with pytest.raises(EndpointRefused):
        LOOPBACK_RULES.check(endpoint)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),  # CGNAT
        ("224.0.0.1", False),  # multicast, which is_global alone lets through
        ("239.255.255.250", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("0.0.0.0", False),
        ("192.0.2.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("ff02::1", False),
        ("::ffff:8.8.8.8", False),  # IPv4-mapped: never, whatever it carries
        ("::ffff:10.0.0.1", False),
        ("::10.0.0.1", False),  # IPv4-compatible
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("2001::1", False),  # Teredo
    ],
)
def test_only_public_addresses_count_as_public(address, public):
    assert is_public(ipaddress.ip_address(address)) is public


def test_a_name_is_checked_by_the_addresses_it_resolves_to():
    hosts = HostsResolver(
        {
            "fcm.googleapis.com": ["142.250.185.10", "2a00:1450:4001:80b::200a"],
            "push.apple.com": ["17.188.180.1", "10.0.0.7"],  # one private address is enough
            "web.push.apple.com": ["::ffff:127.0.0.1"],
        }
    )
    check_endpoint("https://fcm.googleapis.com/fcm/send/x", RULES, lambda: hosts)
    for endpoint in ("https://push.apple.com/x", "https://web.push.apple.com/x"):
        with pytest.raises(EndpointRefused) as refused:
            check_endpoint(endpoint, RULES, lambda: hosts)
        assert refused.value.code == "private_address"
    with pytest.raises(EndpointUnresolved) as unresolved:
        check_endpoint("https://updates.push.services.mozilla.com/x", RULES, lambda: hosts)
    assert unresolved.value.no_such_name


def test_localhost_under_the_loopback_setting_must_resolve_to_loopback_only():
    hosts = HostsResolver({"localhost": ["127.0.0.1", "10.0.0.1"]})
    with pytest.raises(EndpointRefused):
        check_endpoint("http://localhost:9/x", LOOPBACK_RULES, lambda: hosts)


@pytest.mark.parametrize(
    ("value", "services"),
    [
        (None, tuple((host, 443) for host in DEFAULT_PUSH_SERVICES)),
        ("", tuple((host, 443) for host in DEFAULT_PUSH_SERVICES)),
        ("push.example.org", (("push.example.org", 443),)),
        (" .Push.Example.org , push.test:8443 ", (("push.example.org", 443), ("push.test", 8443))),
    ],
)
def test_the_allowed_services_come_from_the_environment(value, services, tmp_path):
    env = {"AFTERCARE_DATA_DIR": str(tmp_path), "AFTERCARE_SECRET_KEY": "k"}
    if value is not None:
        env["AFTERCARE_PUSH_SERVICES"] = value
    assert load_config(env)["PUSH_SERVICES"] == services


@pytest.mark.parametrize("value", ["10.0.0.1", "push.test:x", "push.test:0", "a b", ",", "[::1]"])
def test_a_bad_push_service_stops_start_up_with_the_variable_named(value, tmp_path):
    env = {
        "AFTERCARE_DATA_DIR": str(tmp_path),
        "AFTERCARE_SECRET_KEY": "k",
        "AFTERCARE_PUSH_SERVICES": value,
    }
    with pytest.raises(ConfigError, match="AFTERCARE_PUSH_SERVICES"):
        load_config(env)


def test_the_device_limit_comes_from_the_environment(tmp_path):
    env = {"AFTERCARE_DATA_DIR": str(tmp_path), "AFTERCARE_SECRET_KEY": "k"}
    assert load_config(env)["MAX_DEVICES"] == 5
    assert load_config({**env, "AFTERCARE_MAX_DEVICES": "2"})["MAX_DEVICES"] == 2
    with pytest.raises(ConfigError, match="AFTERCARE_MAX_DEVICES"):
        load_config({**env, "AFTERCARE_MAX_DEVICES": "0"})
