"""Channels against real servers on loopback: an HTTP receiver for Teams, Slack and the generic webhook (checking the
payload shapes those services document), and an SMTP server with STARTTLS and login receiving the e-mails."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.alerts.channels import ChannelError, Message, build_channels
from monitor.alerts.deliver import deliver_pending
from monitor.alerts.rules import RuleState
from monitor.alerts.state import AlertStore, transition
from monitor.config import Settings
from monitor.errors import SettingsError
from monitor.redact import mask
from monitor.store.sqlite import SqliteSnapshotStore
from tests.alerts.peers import SMTP_PASSWORD, Receiver, channel_settings, smtp_server

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = Message(kind="fired", title="Dataset drift of loan_default", text="Dataset drift in loan_default since batch w07.",
                  link="https://monitor.example.com/drift?model=loan_default&batch=w07",
                  alerts_link="https://monitor.example.com/alerts", model="loan_default", rule="dataset_drift",
                  key="dataset_drift", severity="warning", batch_id="w07", at="2026-05-04 09:00 UTC")


@pytest.fixture(scope="module")
def peers():
    with Receiver() as receiver, smtp_server() as smtp:
        yield receiver, smtp


@pytest.fixture
def settings(peers, monkeypatch):
    receiver, smtp = peers
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp.cert))  # trust the loopback certificate, as a real CA bundle would
    receiver.requests.clear()
    smtp.messages.clear()
    return Settings(**channel_settings(receiver, smtp))


def test_teams_gets_an_adaptive_card_in_a_message(settings, peers):
    answer = build_channels(settings)["teams"].send(MESSAGE)
    assert answer == "HTTP 202"
    (request,) = peers[0].requests
    assert request.headers["Content-Type"].startswith("application/json")
    body = request.body
    assert body["type"] == "message" and len(body["attachments"]) == 1
    attachment = body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive" and attachment["contentUrl"] is None
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["version"] == "1.4"
    texts = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
    assert texts == [MESSAGE.title, MESSAGE.text]
    facts = {f["title"]: f["value"] for b in card["body"] if b["type"] == "FactSet" for f in b["facts"]}
    assert facts["Model"] == "loan_default" and facts["Batch"] == "w07"
    assert [a["type"] for a in card["actions"]] == ["Action.OpenUrl", "Action.OpenUrl"]
    assert card["actions"][0]["url"] == MESSAGE.link and card["actions"][1]["url"] == MESSAGE.alerts_link


def test_slack_gets_text_and_blocks(settings, peers):
    message = dataclasses.replace(MESSAGE, text="Feature <debt_ratio> & co drift.")
    assert build_channels(settings)["slack"].send(message) == "HTTP 200: ok"
    body = peers[0].to("/slack")[0]
    assert body["text"] == "Dataset drift of loan_default: Feature &lt;debt_ratio&gt; &amp; co drift."
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context"]
    header, section, context = body["blocks"]
    assert header["text"] == {"type": "plain_text", "text": MESSAGE.title, "emoji": True}
    assert section["text"]["type"] == "mrkdwn"
    assert section["text"]["text"].endswith(f"<{MESSAGE.link}|Open in MLOps Monitor>")
    assert context["elements"][0]["type"] == "mrkdwn" and "Batch: w07" in context["elements"][0]["text"]


def test_the_generic_webhook_gets_the_alert_as_json(settings, peers):
    assert build_channels(settings)["webhook"].send(MESSAGE) == 'HTTP 200: {"received": true}'
    body = peers[0].to("/hook")[0]
    assert body == {**MESSAGE.to_dict(), "personas": []}
    assert {"source", "event", "model", "rule", "key", "severity", "message", "link", "batch_id", "at"} <= set(body)


def test_email_goes_over_starttls_with_login(settings, peers):
    answer = build_channels(settings)["email"].send(MESSAGE)
    assert answer.startswith("250 ")
    (sender, recipients, mail, tls) = peers[1].messages[0]
    assert tls, "the message was sent before STARTTLS"
    assert sender == "monitor@example.com" and recipients == ["oncall@example.com", "lead@example.com"]
    assert mail["Subject"] == "[MLOps Monitor] Dataset drift of loan_default"
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert MESSAGE.text in plain and MESSAGE.link in plain
    assert 'href="https://monitor.example.com/drift?model=loan_default&amp;batch=w07"' in html


def test_a_wrong_smtp_password_is_a_lasting_error(settings):
    channel = build_channels(dataclasses.replace(settings, alert_smtp_password="not-the-password"))["email"]
    with pytest.raises(ChannelError) as info:
        channel.send(MESSAGE)
    assert not info.value.transient and "535" in str(info.value)
    assert "not-the-password" not in str(info.value)


def test_an_untrusted_certificate_is_refused(settings, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(ChannelError) as info:
        build_channels(settings)["email"].send(MESSAGE)
    assert "certificate" in str(info.value).lower() and not info.value.transient


@pytest.mark.parametrize(("status", "transient"), [(500, True), (429, True), (404, False), (400, False)])
def test_http_errors_say_whether_a_retry_may_help(settings, peers, status, transient):
    peers[0].script["/slack"] = [(status, b"no_service" if status == 404 else b"rollup_error")]
    with pytest.raises(ChannelError) as info:
        build_channels(settings)["slack"].send(MESSAGE)
    assert info.value.transient is transient and info.value.answer.startswith(f"HTTP {status}: ")


def test_a_server_that_never_answers_is_given_up_within_the_timeout(settings, peers):
    peers[0].script["/hook"] = [(None, b"")]
    channel = build_channels(dataclasses.replace(settings, alert_timeout=0.5))["webhook"]
    with pytest.raises(ChannelError) as info:
        channel.send(MESSAGE)
    assert info.value.transient


def test_a_teams_webhook_that_reports_an_error_in_a_200_is_not_taken(settings, peers):
    peers[0].script["/teams"] = [(200, b"Webhook message delivery failed with error: Microsoft Teams endpoint returned "
                                       b"HTTP error 429")]
    with pytest.raises(ChannelError) as info:
        build_channels(settings)["teams"].send(MESSAGE)
    assert info.value.transient


def test_delivery_retries_with_backoff_then_leaves_the_rest_pending(settings, peers, tmp_path):
    store = AlertStore(SqliteSnapshotStore(tmp_path / "alerts.db"))
    now = dt.datetime(2026, 5, 4, 9, tzinfo=dt.timezone.utc)
    for i, key in enumerate(("health", "stale")):
        state = RuleState("churn", key, key, True, f"{key} fires.", page="health", personas=("business",))
        _, (event,) = transition(None, state, now=now + dt.timedelta(minutes=i), app_url=settings.app_url,
                                 channels=["slack", "teams", "nowhere"], cooldown_hours=6)
        store.save(event)
    peers[0].script["/slack"] = [(503, b"busy")]  # one failure, then the default answer: the retry succeeds
    peers[0].script["/teams"] = [(500, b"down"), (500, b"down")]  # fails both attempts (retries = 1)
    sent, pending, held, errors = deliver_pending(store, build_channels(settings), settings, now)
    assert (sent, pending, held) == (2, 4, 0)
    assert len(peers[0].to("/teams")) == 2  # the second alert was not tried on a channel that just failed
    first, second = store.events()
    assert first.deliveries["slack"].status == "sent" and first.deliveries["slack"].attempts == 2
    assert first.deliveries["teams"].attempts == 2 and "HTTP 500" in first.deliveries["teams"].error
    assert second.deliveries["teams"].attempts == 0 and second.deliveries["teams"].error.startswith("not tried in this run")
    assert "channel 'nowhere' is not configured" in first.deliveries["nowhere"].error
    assert any("pending for channel 'teams'" in e for e in errors)
    sent, pending, _, _ = deliver_pending(store, build_channels(settings), settings, now)  # teams is back
    assert (sent, pending) == (2, 2) and all(e.pending == ["nowhere"] for e in store.events())


def test_named_channels_and_settings_that_name_the_mistake():
    settings = Settings.load(env={"MONITOR_ALERT_CHANNELS": "bi=teams:https://example.webhook.office.com/x?sig=abc123456;"
                                                            " oncall=email:a@example.com, b@example.com",
                                  "MONITOR_ALERT_SMTP_HOST": "smtp.example.com", "MONITOR_ALERT_SMTP_PORT": "2525"})
    channels = build_channels(settings)
    assert {n: c.kind for n, c in channels.items()} == {"bi": "teams", "oncall": "email"}
    assert channels["oncall"].recipients == ("a@example.com", "b@example.com") and channels["oncall"].port == 2525
    for env, named in [({"MONITOR_ALERT_SLACK_URL": "hooks.slack.com/x"}, "MONITOR_ALERT_SLACK_URL"),
                       ({"MONITOR_ALERT_EMAIL_TO": "ops@example.com"}, "MONITOR_ALERT_SMTP_HOST"),
                       ({"MONITOR_ALERT_CHANNELS": "bi=fax:123"}, "MONITOR_ALERT_CHANNELS"),
                       ({"MONITOR_ALERT_SMTP_PORT": "smtp"}, "MONITOR_ALERT_SMTP_PORT"),
                       ({"MONITOR_ALERT_RETRIES": "50"}, "MONITOR_ALERT_RETRIES"),
                       ({"MONITOR_APP_URL": "monitor.example.com"}, "MONITOR_APP_URL")]:
        with pytest.raises(SettingsError, match=named):
            Settings.load(env=env)


def test_channel_urls_and_the_password_are_never_shown():
    hook = "https://hooks.slack.com/services/T000/B000/XsecretXsecretX"
    settings = Settings.load(env={"MONITOR_ALERT_SLACK_URL": hook, "MONITOR_ALERT_EMAIL_TO": "ops@example.com",
                                  "MONITOR_ALERT_SMTP_HOST": "smtp.example.com", "MONITOR_ALERT_SMTP_USER": "bot",
                                  "MONITOR_ALERT_SMTP_PASSWORD": "pw-Secret-771"})
    shown = settings.describe()
    assert shown["alert_slack_url"] == "https://hooks.slack.com/***" and shown["alert_smtp_password"] == "***"
    assert hook not in str(shown) and "pw-Secret-771" not in str(shown)
    assert mask(f"POST {hook} failed; login bot/pw-Secret-771") == "POST *** failed; login bot/***"


def test_alerts_test_command_reports_what_each_channel_answered(settings, peers):
    receiver, smtp = peers
    receiver.script["/hook"] = [(500, b"internal error")]
    env = {**os.environ, "SSL_CERT_FILE": str(smtp.cert), **{f"MONITOR_{k.upper()}": str(v) for k, v in
                                                               channel_settings(receiver, smtp).items()}}
    out = subprocess.run([sys.executable, "-m", "monitor", "alerts", "test"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    lines = out.stdout.strip().splitlines()
    assert out.returncode == 1, out.stderr
    assert lines[-1] == "test messages sent: 3, failed: 1"
    by_name = {line.split(" ", 1)[0]: line for line in lines[:-1]}
    assert by_name["teams"].endswith(": sent: HTTP 202")
    assert by_name["slack"].endswith(": sent: HTTP 200: ok")
    assert ": FAILED: " in by_name["webhook"] and "HTTP 500: internal error" in by_name["webhook"]
    assert by_name["email"].startswith("email (email, oncall@example.com, lead@example.com via 127.0.0.1:")
    assert ": sent: 250 " in by_name["email"]
    assert f"{receiver.url}/hook" not in out.stdout + out.stderr and SMTP_PASSWORD not in out.stdout + out.stderr
    assert {b["event"] for b in receiver.to("/hook")} == {"test"} and len(smtp.messages) == 1
