"""Real servers on loopback for the alert channels: an HTTP receiver standing in for Teams, Slack and a generic
webhook, and an SMTP server (aiosmtpd) with STARTTLS and login."""

from __future__ import annotations

import contextlib
import dataclasses
import email
import email.policy
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.peers.loopback import LoopbackServer
from tests.peers.tls import self_signed_cert
from tests.servers import free_port

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "tls"
SMTP_USER, SMTP_PASSWORD = "monitor-bot", "smtp-Pw-8c1f7e2a"
# What each service answers when it takes a message (Teams Workflows: 202 Accepted; Slack: 200 "ok").
DEFAULT_ANSWERS = {"/teams": (202, b""), "/slack": (200, b"ok"), "/hook": (200, b'{"received": true}')}


@dataclasses.dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        peer = self.server.peer
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with peer.lock:
            script = peer.script.get(self.path) or []
            status, answer = script.pop(0) if script else DEFAULT_ANSWERS.get(self.path, (200, b""))
            peer.requests.append(Received(self.path, dict(self.headers), json.loads(raw)))
        if status is None:  # never answer: the client's bounded wait must give up
            peer.hang.wait(30)
            return
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:
        pass


class Receiver(LoopbackServer):
    """Records every POST; ``script[path]`` lists (status, body) answers to give first (status None: no answer)."""

    def __init__(self):
        super().__init__(_Receiver)
        self.requests: list[Received] = []
        self.script: dict[str, list[tuple[int | None, bytes]]] = {}
        self.lock = threading.Lock()
        self.hang = threading.Event()

    def to(self, path: str) -> list[dict]:
        return [r.body for r in self.requests if r.path == path]

    def stop(self) -> None:
        self.hang.set()
        super().stop()


class _Mailbox:
    def __init__(self):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage, bool]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message, bool(session.ssl)))
        return "250 2.0.0 Message accepted for delivery"


def _authenticator(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == SMTP_USER and \
        auth_data.password.decode() == SMTP_PASSWORD
    return AuthResult(success=ok, handled=False)


@dataclasses.dataclass
class SmtpServer:
    host: str
    port: int
    cert: Path
    mailbox: _Mailbox

    @property
    def messages(self):
        return self.mailbox.messages


@contextlib.contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """aiosmtpd on loopback: STARTTLS required, then login required (CN=localhost, IP 127.0.0.1 certificate)."""
    from aiosmtpd.controller import Controller

    cert, key = self_signed_cert(CACHE)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), tls_context=tls, require_starttls=True,
                            auth_required=True, authenticator=_authenticator)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, cert, mailbox)
    finally:
        controller.stop()


def channel_settings(receiver: Receiver, smtp: SmtpServer, **extra) -> dict:
    """Settings (field = value) that point every channel kind at the loopback peers."""
    return {"alert_webhook_url": f"{receiver.url}/hook", "alert_teams_url": f"{receiver.url}/teams",
            "alert_slack_url": f"{receiver.url}/slack", "alert_email_to": "oncall@example.com,lead@example.com",
            "alert_email_from": "monitor@example.com", "alert_smtp_host": smtp.host, "alert_smtp_port": smtp.port,
            "alert_smtp_user": SMTP_USER, "alert_smtp_password": SMTP_PASSWORD, "alert_retries": 1,
            "alert_backoff": 0.01, "alert_timeout": 5.0, "app_url": "https://monitor.example.com", **extra}
