"""Push subscriptions from patients' devices, and the sender built from the app's settings."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from py_vapid import Vapid02
from sqlalchemy import delete, select

from ..extensions import db
from ..models import Device, PushSubscription, utcnow
from .channels import ReachChannel
from .endpoints import (
    EndpointRefused,
    EndpointRules,
    EndpointUnresolved,
    check_endpoint,
    resolver_factory,
)
from .push_transport import VapidTokens, WebPushSender
from .vapid import load_vapid, public_key

MAX_ENDPOINT = 1024


def vapid_for(app: Flask) -> Vapid02:
    """The app's VAPID key, loaded (or made) once per process."""
    if "aftercare.vapid" not in app.extensions:
        app.extensions["aftercare.vapid"] = load_vapid(
            app.config["VAPID_PRIVATE_KEY"],
            app.config["VAPID_PRIVATE_KEY_FILE"],
            app.config["DATA_DIR"],
            # Made here only where keys may be made: never by a command run with forgotten
            # settings, which would sign pushes no phone's subscription accepts.
            create=app.config["MAKE_MISSING"],
        )
    return app.extensions["aftercare.vapid"]


def vapid_public_key(app: Flask) -> str:
    return public_key(vapid_for(app))


def make_sender(app: Flask) -> WebPushSender:
    """The sender, with one VAPID token cache per process, so tokens are reused across passes."""
    if "aftercare.tokens" not in app.extensions:
        app.extensions["aftercare.tokens"] = VapidTokens(
            vapid_for(app), app.config["VAPID_SUBJECT"]
        )
    return WebPushSender(
        app.extensions["aftercare.tokens"],
        EndpointRules.from_config(app.config),
        timeout_s=app.config["PUSH_TIMEOUT_SECONDS"],
        concurrency=app.config["PUSH_CONCURRENCY"],
        resolver=resolver_factory(app),
    )


def reach_channels(app: Flask) -> list[ReachChannel]:
    """The channels beside push, from the app's settings: email when AFTERCARE_SMTP_URL is
    set. An SMS channel would be added here."""
    from .emails import email_channel

    channel = email_channel(app)
    return [channel] if channel is not None else []


class SubscriptionError(ValueError):
    """A push subscription the app cannot use: `code` names the rule, the message says why."""

    def __init__(self, detail: str, code: str = "malformed") -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class SubscriptionInfo:
    endpoint: str
    p256dh: str
    auth: str


def _b64url_bytes(value: Any, name: str) -> bytes:
    if not isinstance(value, str) or not value or len(value) > 200:
        raise SubscriptionError(f"keys.{name} is missing or too long")
    try:
        padded = value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise SubscriptionError(f"keys.{name} is not base64url") from None


def parse_subscription(data: Any) -> SubscriptionInfo:
    """Check a browser's PushSubscription JSON: an endpoint the endpoint rules allow (DNS not
    yet asked, see `check_reachable`) and well-formed P-256 keys."""
    if not isinstance(data, dict):
        raise SubscriptionError("send the subscription as a JSON object")
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT:
        raise SubscriptionError(f"endpoint must be a URL of at most {MAX_ENDPOINT} characters")
    try:
        EndpointRules.from_config(current_app.config).check(endpoint)
    except EndpointRefused as refusal:
        raise SubscriptionError(refusal.reason, refusal.code) from None
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise SubscriptionError("keys are missing")
    p256dh = _b64url_bytes(keys.get("p256dh"), "p256dh")
    if len(p256dh) != 65 or p256dh[0] != 4:
        raise SubscriptionError("keys.p256dh must be an uncompressed P-256 public key (65 bytes)")
    auth = _b64url_bytes(keys.get("auth"), "auth")
    if len(auth) != 16:
        raise SubscriptionError("keys.auth must be 16 bytes")
    return SubscriptionInfo(endpoint, keys["p256dh"].rstrip("="), keys["auth"].rstrip("="))


def parse_installed(data: Any, *, required: bool = False) -> bool | None:
    """Whether the page says the phone runs Aftercare from its Home Screen: true or false,
    nothing else; None when an older page did not say (allowed unless `required`)."""
    if not isinstance(data, dict):
        raise SubscriptionError("send a JSON object")
    if "installed" not in data and not required:
        return None
    installed = data.get("installed")
    if not isinstance(installed, bool):
        raise SubscriptionError("installed must be true or false")
    return installed


def note_installed(subscription: PushSubscription, installed: bool | None) -> None:
    """Keep what the phone said about running installed, and when it said it."""
    subscription.installed = installed
    subscription.installed_seen_at = None if installed is None else utcnow()


def check_reachable(info: SubscriptionInfo) -> None:
    """Resolve the endpoint's push service and check its addresses, as the sender will.

    Raises SubscriptionError for an endpoint the rules refuse (or a name that does not exist),
    and EndpointUnresolved when DNS did not answer just now.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        check_endpoint(info.endpoint, EndpointRules.from_config(app.config), resolver_factory(app))
    except EndpointRefused as refusal:
        raise SubscriptionError(refusal.reason, refusal.code) from None
    except EndpointUnresolved as unresolved:
        if unresolved.no_such_name:
            raise SubscriptionError(str(unresolved), "unresolvable") from None
        raise


def save_subscription(
    device: Device, info: SubscriptionInfo, installed: bool | None = None
) -> PushSubscription:
    """Store the device's one subscription: a new one replaces the one it had.

    The same endpoint is kept once: if another device of this browser had it (the phone was
    linked again), that device's row goes.
    """
    db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.endpoint == info.endpoint, PushSubscription.device_id != device.id
        )
    )
    subscription = db.session.scalar(
        select(PushSubscription).where(PushSubscription.device_id == device.id)
    )
    if subscription is None:
        subscription = PushSubscription(device_id=device.id)
        db.session.add(subscription)
    subscription.patient_id = device.patient_id
    subscription.endpoint = info.endpoint
    subscription.p256dh = info.p256dh
    subscription.auth = info.auth
    subscription.disabled_at = None
    subscription.disabled_reason = ""
    subscription.last_success_at = None
    subscription.created_at = utcnow()
    note_installed(subscription, installed)
    return subscription


def remove_device_subscriptions(device_id: int) -> int:
    """Stop all reminders to a device at once (it was unlinked); how many were removed."""
    result = db.session.execute(
        delete(PushSubscription).where(PushSubscription.device_id == device_id)
    )
    return result.rowcount or 0


def remove_subscription(device: Device, endpoint: str) -> bool:
    """Turn reminders off for this device's subscription at `endpoint`."""
    subscription = db.session.scalar(
        select(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.device_id == device.id
        )
    )
    if subscription is None:
        return False
    db.session.delete(subscription)
    return True


def device_subscription(device: Device) -> PushSubscription | None:
    return db.session.scalar(
        select(PushSubscription).where(
            PushSubscription.device_id == device.id, PushSubscription.disabled_at.is_(None)
        )
    )
