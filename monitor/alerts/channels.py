"""Where alerts go: a generic JSON webhook, Microsoft Teams, Slack and e-mail over SMTP.

Channels are settings, never ``monitor.toml``: their URLs and the SMTP password are credentials.
One channel of each kind has its own settings and takes the kind as its name (``webhook``,
``teams``, ``slack``, ``email``); ``MONITOR_ALERT_CHANNELS`` adds named ones, e.g.
``bi=teams:https://...; oncall=email:oncall@example.com,lead@example.com`` (e-mail channels share
the SMTP server settings). Routes in ``monitor.toml`` send each persona's alerts to channel names.

Every send has a bounded wait (``alert_timeout`` per attempt) and raises :class:`ChannelError`
saying whether trying again later may help (``transient``) and what the service answered.
"""

from __future__ import annotations

import abc
import dataclasses
import email.policy
import email.utils
import html
import json
import re
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from typing import Any

from monitor.errors import SettingsError
from monitor.net import BudgetExceeded, within
from monitor.redact import mask

__all__ = ["Message", "ChannelError", "Channel", "WebhookChannel", "TeamsChannel", "SlackChannel", "EmailChannel",
           "ChannelSpec", "channel_specs", "build_channels", "secret_values", "describe_target", "KINDS"]

KINDS = ("webhook", "teams", "slack", "email")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_ADDRESS = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_TRANSIENT_HTTP = {408, 425, 429, 500, 502, 503, 504}
_ANSWER = 300


@dataclasses.dataclass(frozen=True)
class Message:
    """What every channel sends, in its own format."""

    kind: str  # "fired" | "resolved" | "test"
    title: str
    text: str
    link: str
    alerts_link: str
    model: str = ""
    rule: str = ""
    key: str = ""
    severity: str = "warning"
    batch_id: str | None = None
    run_id: str | None = None
    at: str = ""
    episode: str = ""
    personas: tuple[str, ...] = ()

    def facts(self) -> list[tuple[str, str]]:
        pairs = [("Model", self.model), ("Rule", self.key), ("Severity", self.severity), ("Batch", self.batch_id),
                 ("Pipeline run", self.run_id), ("At", self.at)]
        return [(k, str(v)) for k, v in pairs if v]

    def to_dict(self) -> dict[str, Any]:
        return {"source": "mlops-monitor", "event": self.kind, "title": self.title, "message": self.text,
                "link": self.link, "alerts_link": self.alerts_link, "model": self.model, "rule": self.rule, "key": self.key,
                "severity": self.severity, "batch_id": self.batch_id, "run_id": self.run_id, "at": self.at,
                "episode": self.episode, "personas": list(self.personas)}


class ChannelError(Exception):
    """A channel did not take a message. ``transient``: trying again may help (5xx, 429, timeouts, no connection)."""

    def __init__(self, message: str, transient: bool, answer: str = ""):
        super().__init__(mask(message))
        self.transient = transient
        self.answer = mask(answer)
        self.attempts = 1


class Channel(abc.ABC):
    """One configured destination. :meth:`send` returns the service's answer, or raises :class:`ChannelError`."""

    kind = ""

    def __init__(self, name: str, timeout: float):
        self.name = name
        self.timeout = timeout

    def send(self, message: Message) -> str:
        try:
            return within(self.timeout + 1.0, self._send, message)
        except BudgetExceeded as exc:
            raise ChannelError(f"{self.kind} channel '{self.name}': {exc}", transient=True) from None

    @abc.abstractmethod
    def _send(self, message: Message) -> str: ...

    @property
    @abc.abstractmethod
    def target(self) -> str:
        """Where it sends to, fit to print (credentials hidden)."""


class WebhookChannel(Channel):
    """A JSON POST to a URL; any 2xx answer counts as taken."""

    kind = "webhook"

    def __init__(self, name: str, url: str, timeout: float):
        super().__init__(name, timeout)
        self.url = url

    @property
    def target(self) -> str:
        return describe_target(self.url)

    def payload(self, message: Message) -> dict[str, Any]:
        return message.to_dict()

    def _send(self, message: Message) -> str:
        body = json.dumps(self.payload(message)).encode()
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "mlops-monitor-alerts"})
        label = f"{self.kind} channel '{self.name}' ({self.target})"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = f"HTTP {response.status}" + _body(response.read(_ANSWER + 1))
        except urllib.error.HTTPError as exc:
            answer = f"HTTP {exc.code}" + _body(exc.read(_ANSWER + 1) if exc.fp else b"")
            raise ChannelError(f"{label} answered {answer}", transient=exc.code in _TRANSIENT_HTTP, answer=answer) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ChannelError(f"{label} could not be reached: {reason}", transient=True) from None
        self.check_answer(answer, label)
        return answer

    def check_answer(self, answer: str, label: str) -> None:
        """Refuse a 2xx answer that still says the message was not taken (a service's own convention)."""


class TeamsChannel(WebhookChannel):
    """Microsoft Teams: a Workflows webhook ("When a Teams webhook request is received") or an incoming webhook.

    Both take a message whose one attachment is an Adaptive Card; Workflows answers ``202 Accepted``.
    """

    kind = "teams"

    def payload(self, message: Message) -> dict[str, Any]:
        colour = {"fired": "Attention" if message.severity == "critical" else "Warning", "resolved": "Good"}
        body: list[dict[str, Any]] = [
            {"type": "TextBlock", "text": message.title, "weight": "Bolder", "size": "Medium", "wrap": True,
             "color": colour.get(message.kind, "Default")},
            {"type": "TextBlock", "text": message.text, "wrap": True},
        ]
        if message.facts():
            body.append({"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in message.facts()]})
        actions = [{"type": "Action.OpenUrl", "title": "Open in MLOps Monitor", "url": message.link}]
        if message.alerts_link != message.link:
            actions.append({"type": "Action.OpenUrl", "title": "All alerts", "url": message.alerts_link})
        card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
                "msteams": {"width": "Full"}, "body": body, "actions": actions}
        return {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}

    def check_answer(self, answer: str, label: str) -> None:
        # An incoming webhook answers 200 "1"; it reports a refused card as 200 with the error as text.
        if answer.startswith("HTTP 200") and re.search(r"(?i)\b(error|failed)\b", answer):
            raise ChannelError(f"{label} answered {answer}", transient=True, answer=answer)


def _slack_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackChannel(WebhookChannel):
    """Slack incoming webhook: ``text`` (the notification) and Block Kit ``blocks``; Slack answers ``200 ok``."""

    kind = "slack"

    def payload(self, message: Message) -> dict[str, Any]:
        context = " · ".join(f"{k}: {_slack_text(v)}" for k, v in message.facts())
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150], "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                f"{_slack_text(message.text)}\n<{message.link}|Open in MLOps Monitor>")[:3000]}},
        ]
        if context:
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context[:3000]}]})
        return {"text": _slack_text(f"{message.title}: {message.text}"), "blocks": blocks}


class EmailChannel(Channel):
    """E-mail through an SMTP server: STARTTLS (required unless switched off) and login when a user is set."""

    kind = "email"

    def __init__(self, name: str, recipients: Sequence[str], *, host: str, port: int, user: str, password: str,
                 sender: str, starttls: bool, timeout: float):
        super().__init__(name, timeout)
        self.recipients = tuple(recipients)
        self.host, self.port, self.user, self.password = host, port, user, password
        self.sender, self.starttls = sender, starttls

    @property
    def target(self) -> str:
        return f"{', '.join(self.recipients)} via {self.host}:{self.port}"

    def compose(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = "[MLOps Monitor] " + " ".join(message.title.split())
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail["Date"] = email.utils.formatdate(usegmt=True)
        mail["Message-ID"] = email.utils.make_msgid(domain="mlops-monitor")
        facts = "\n".join(f"{k}: {v}" for k, v in message.facts())
        mail.set_content(f"{message.text}\n\n{facts}\n\nOpen in MLOps Monitor: {message.link}\n"
                         f"All alerts: {message.alerts_link}\n")
        rows = "".join(f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in message.facts())
        mail.add_alternative(
            f"<p><strong>{html.escape(message.title)}</strong></p><p>{html.escape(message.text)}</p><table>{rows}</table>"
            f"<p><a href=\"{html.escape(message.link)}\">Open in MLOps Monitor</a> · "
            f"<a href=\"{html.escape(message.alerts_link)}\">All alerts</a></p>", subtype="html")
        return mail

    def _send(self, message: Message) -> str:
        label = f"email channel '{self.name}' ({self.host}:{self.port})"
        mail = self.compose(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    if not smtp.has_extn("starttls"):
                        raise ChannelError(f"{label}: the server does not offer STARTTLS; nothing was sent (set "
                                           "MONITOR_ALERT_SMTP_STARTTLS=false only for a server on a trusted network)",
                                           transient=False)
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self.password)
                code, reply = smtp.mail(self.sender)
                if code != 250:
                    raise smtplib.SMTPSenderRefused(code, reply, self.sender)
                refused = {}
                for rcpt in self.recipients:
                    rcode, rreply = smtp.rcpt(rcpt)
                    if rcode not in (250, 251):
                        refused[rcpt] = (rcode, rreply)
                if len(refused) == len(self.recipients):
                    smtp.rset()
                    raise smtplib.SMTPRecipientsRefused(refused)
                code, reply = smtp.data(mail.as_bytes(policy=email.policy.SMTP))  # CRLF line ends, as SMTP requires
                if code != 250:
                    raise smtplib.SMTPDataError(code, reply)
        except ChannelError:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {r: c for r, (c, _) in exc.recipients.items()}
            raise ChannelError(f"{label} refused the recipients {codes}", transient=all(400 <= c < 500 for c in
                                                                                        codes.values())) from None
        except smtplib.SMTPResponseException as exc:
            answer = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            raise ChannelError(f"{label} answered {answer}", transient=400 <= exc.smtp_code < 500, answer=answer) from None
        except (smtplib.SMTPException, OSError) as exc:  # OSError covers timeouts and TLS errors
            verify = isinstance(exc, ssl.SSLCertVerificationError)
            raise ChannelError(f"{label} could not be reached: {exc}", transient=not verify) from None
        answer = f"{code} {_text(reply)}"
        if refused:
            answer += f" (refused: {', '.join(sorted(refused))})"
        return answer


def _text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:_ANSWER]


def _body(raw: bytes) -> str:
    text = _text(raw)
    return f": {text}" if text else ""


@dataclasses.dataclass(frozen=True)
class ChannelSpec:
    """One configured channel: its name, kind and target (URL, or e-mail addresses)."""

    name: str
    kind: str
    target: str
    setting: str


def describe_target(value: str) -> str:
    """A channel URL (or a ``name=kind:target`` list) fit to print: scheme and host only."""
    def one(url: str) -> str:
        parts = urllib.parse.urlsplit(url.strip())
        return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}/***" if parts.scheme else url
    if "=" in value:
        out = []
        for item in filter(None, (s.strip() for s in re.split(r"[;\n]", value))):
            name, _, rest = item.partition("=")
            kind, _, target = rest.partition(":")
            out.append(f"{name.strip()}={kind.strip()}:{one(target) if '://' in target else target.strip()}")
        return "; ".join(out)
    return one(value)


def _url(value: str, setting: str) -> str:
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{setting} must be an http(s):// URL, got '{describe_target(value)}'")
    return value


def _addresses(value: str, setting: str) -> str:
    found = [a.strip() for a in value.split(",") if a.strip()]
    bad = [a for a in found if not _ADDRESS.match(a)]
    if not found or bad:
        raise SettingsError(f"{setting} must be e-mail address(es) separated by commas, got '{value}'")
    return ",".join(found)


def channel_specs(settings: Any) -> list[ChannelSpec]:
    """Every configured channel, checked. Raises :class:`SettingsError` naming the setting at fault."""
    specs: list[ChannelSpec] = []
    for kind in ("webhook", "teams", "slack"):
        value = getattr(settings, f"alert_{kind}_url")
        if value:
            setting = f"MONITOR_ALERT_{kind.upper()}_URL"
            specs.append(ChannelSpec(kind, kind, _url(value, setting), setting))
    if settings.alert_email_to:
        specs.append(ChannelSpec("email", "email", _addresses(settings.alert_email_to, "MONITOR_ALERT_EMAIL_TO"),
                                 "MONITOR_ALERT_EMAIL_TO"))
    for item in filter(None, (s.strip() for s in re.split(r"[;\n]", settings.alert_channels or ""))):
        setting = "MONITOR_ALERT_CHANNELS"
        name, sep, rest = item.partition("=")
        kind, sep2, target = rest.partition(":")
        name, kind, target = name.strip(), kind.strip(), target.strip()
        if not sep or not sep2 or not _NAME.match(name) or kind not in KINDS or not target:
            raise SettingsError(f"{setting}: '{describe_target(item)}' is not name=kind:target (kinds: {', '.join(KINDS)}; "
                                "e.g. bi=teams:https://... or oncall=email:a@example.com,b@example.com)")
        specs.append(ChannelSpec(name, kind, _addresses(target, f"{setting} '{name}'") if kind == "email"
                                 else _url(target, f"{setting} '{name}'"), setting))
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise SettingsError(f"MONITOR_ALERT_CHANNELS: the channel name '{spec.name}' is used twice")
        seen.add(spec.name)
    if any(s.kind == "email" for s in specs) and not settings.alert_smtp_host:
        raise SettingsError("e-mail alert channels need MONITOR_ALERT_SMTP_HOST (and usually MONITOR_ALERT_SMTP_USER / "
                            "MONITOR_ALERT_SMTP_PASSWORD)")
    if settings.alert_smtp_password and not settings.alert_smtp_user:
        raise SettingsError("MONITOR_ALERT_SMTP_PASSWORD is set but MONITOR_ALERT_SMTP_USER is not")
    return specs


def secret_values(settings: Any) -> list[str]:
    """The channel URLs and the SMTP password, for :func:`monitor.redact.register_secret`."""
    urls = [getattr(settings, f"alert_{k}_url") for k in ("webhook", "teams", "slack")]
    for item in re.split(r"[;\n]", settings.alert_channels or ""):
        target = item.partition("=")[2].partition(":")[2].strip()
        if "://" in target:
            urls.append(target)
    return [v for v in (*urls, settings.alert_smtp_password) if v]


def build_channels(settings: Any) -> dict[str, Channel]:
    """The configured channels by name (none when no alert channel setting is set)."""
    sender = settings.alert_email_from or settings.alert_smtp_user or f"mlops-monitor@{settings.alert_smtp_host or 'localhost'}"
    out: dict[str, Channel] = {}
    classes: Mapping[str, type[WebhookChannel]] = {"webhook": WebhookChannel, "teams": TeamsChannel, "slack": SlackChannel}
    for spec in channel_specs(settings):
        if spec.kind == "email":
            out[spec.name] = EmailChannel(spec.name, spec.target.split(","), host=settings.alert_smtp_host,
                                          port=settings.alert_smtp_port, user=settings.alert_smtp_user,
                                          password=settings.alert_smtp_password, sender=sender,
                                          starttls=settings.alert_smtp_starttls, timeout=settings.alert_timeout)
        else:
            out[spec.name] = classes[spec.kind](spec.name, spec.target, settings.alert_timeout)
    return out
