"""The SMTP transport: STARTTLS or TLS with the server's certificate checked, credentials from
the environment, and settings refused with a message naming the variable."""

from __future__ import annotations

import ssl
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from aftercare.config import ConfigError, load_config
from aftercare.reminders.smtp import EmailJob, EmailSender, smtp_settings
from tests.mail_server import MailServer, _Handler, self_signed
from tests.servers import free_port

BASE = "https://aftercare.example.org"


def a_message(to: str = "alex@example.org") -> EmailJob:
    message = EmailMessage()
    message["To"], message["Subject"] = to, "Appointment reminder"
    message.set_content("You have an appointment today at 3:00 PM.")
    return EmailJob(to, message)


def test_starttls_with_the_servers_certificate_checked_and_a_login(tmp_path):
    context, certificate = self_signed(tmp_path)
    password_file = tmp_path / "smtp-password"
    password_file.write_text("s3cret\n")
    with MailServer(tls_context=context, credentials=("aftercare", "s3cret")) as server:
        env = {
            "AFTERCARE_SMTP_URL": server.url,
            "AFTERCARE_SMTP_USERNAME": "aftercare",
            "AFTERCARE_SMTP_PASSWORD_FILE": str(password_file),
            "AFTERCARE_SMTP_CA_FILE": str(certificate),
        }
        with EmailSender(smtp_settings(env, BASE)) as sender:
            [result] = sender.send_all([a_message()])
        assert result.status == 250, result
        [mail] = server.wait_for(1)
        assert mail.tls and mail.authenticated and server.logins == ["aftercare"]
        assert mail.mail_from == "reminders@aftercare.example.org"

        # A certificate nobody vouches for is refused: nothing is sent, and it is retried.
        env.pop("AFTERCARE_SMTP_CA_FILE")
        with EmailSender(smtp_settings(env, BASE)) as sender:
            [refused] = sender.send_all([a_message()])
        assert (refused.status, refused.outcome) == (None, "retry")
        assert len(server.messages()) == 1


def test_smtps_speaks_tls_from_the_start(tmp_path):
    context, certificate = self_signed(tmp_path)
    mailbox = MailServer()  # for its handler and its list of messages
    port = free_port()
    controller = Controller(_Handler(mailbox), hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    try:
        env = {
            "AFTERCARE_SMTP_URL": f"smtps://127.0.0.1:{port}",
            "AFTERCARE_SMTP_CA_FILE": str(certificate),
        }
        with EmailSender(smtp_settings(env, BASE)) as sender:
            [result] = sender.send_all([a_message()])
    finally:
        controller.stop()
    assert result.status == 250, result
    [mail] = mailbox.wait_for(1)
    assert mail.tls


def test_the_password_never_shows_in_the_settings_repr():
    settings = smtp_settings({"AFTERCARE_SMTP_URL": "smtp://user:p%40ss@mail.example.org"}, BASE)
    assert (settings.username, settings.password, settings.port) == ("user", "p@ss", 587)
    assert "p@ss" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"AFTERCARE_SMTP_URL": "http://mail.example.org"}, "AFTERCARE_SMTP_URL"),
        ({"AFTERCARE_SMTP_URL": "smtp://mail.example.org:port"}, "AFTERCARE_SMTP_URL"),
        ({"AFTERCARE_SMTP_URL": "smtp://mail.example.org/x"}, "AFTERCARE_SMTP_URL"),
        (
            {"AFTERCARE_SMTP_URL": "smtp://mail.example.org", "AFTERCARE_EMAIL_FROM": "nobody"},
            "AFTERCARE_EMAIL_FROM",
        ),
        (
            {"AFTERCARE_SMTP_URL": "smtp://mail.example.org", "AFTERCARE_SMTP_CA_FILE": "/no"},
            "AFTERCARE_SMTP_CA_FILE",
        ),
    ],
)
def test_a_bad_smtp_setting_stops_start_up_naming_it(tmp_path, env, named):
    with pytest.raises(ConfigError, match=named):
        load_config({"AFTERCARE_DATA_DIR": str(tmp_path), "AFTERCARE_BASE_URL": BASE, **env})


def test_email_needs_the_public_address_for_its_links(tmp_path):
    with pytest.raises(ConfigError, match="AFTERCARE_BASE_URL"):
        load_config({"AFTERCARE_DATA_DIR": str(tmp_path), "AFTERCARE_SMTP_URL": "smtp://m.test"})


def test_without_an_smtp_url_email_is_off(tmp_path):
    assert load_config({"AFTERCARE_DATA_DIR": str(tmp_path)})["SMTP"] is None


def test_only_a_relay_on_this_machine_may_go_without_starttls():
    settings = smtp_settings({"AFTERCARE_SMTP_URL": "smtp://127.0.0.1:1"}, BASE)
    assert settings.local
    assert not smtp_settings({"AFTERCARE_SMTP_URL": "smtp://mail.example.org"}, BASE).local
    assert isinstance(settings.tls_context(), ssl.SSLContext)


def test_a_message_that_cannot_be_sent_gets_a_result_and_the_others_go(mail_server):
    """Whatever goes wrong with one email, it gets a result: the pass never waits for it."""
    settings = smtp_settings({"AFTERCARE_SMTP_URL": mail_server.url}, BASE)
    broken = EmailJob("alex@example.org", None)  # type: ignore[arg-type]
    with EmailSender(settings) as sender:
        # Bounded: on a sender without the guard, this batch never finishes.
        first, second = sender.submit([broken, a_message("blair@example.org")]).result(20)
    assert (first.status, first.outcome) == (None, "retry")
    assert first.error.startswith("unexpected: ")
    assert second.status == 250
    assert mail_server.wait_for(1)[0].rcpt_tos == ["blair@example.org"]
