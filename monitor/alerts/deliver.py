"""What the monitoring job does for alerts after it wrote the snapshots, and the channel test.

:func:`run_alerts` evaluates every rule of the models the job ran for, stores each change of
state (once: an unchanged state writes and sends nothing), then delivers every pending message,
oldest first, with bounded retries and backoff. A channel that fails is not tried again in the same
run; its messages stay pending for the next run and are counted in the job's summary line. Nothing
here raises for a channel's sake: the job never fails because an alert could not be sent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from monitor.alerts.channels import Channel, ChannelError, Message, build_channels
from monitor.alerts.config import AlertsSpec, title
from monitor.alerts.rules import RuleState, evaluate, evaluate_broken
from monitor.alerts.state import AlertEvent, AlertState, AlertStore, Delivery, close, transition
from monitor.errors import MonitorError

__all__ = ["AlertRun", "run_alerts", "deliver_pending", "message_for", "route_problems", "TestResult", "send_test"]

RUNS_WINDOW = dt.timedelta(days=90)
"""How far back pipeline runs are read for the pipeline rules."""

Progress = Callable[[int, int, str], None]


@dataclasses.dataclass
class AlertRun:
    """What one job run did about alerts."""

    channels: tuple[str, ...] = ()
    fired: list[AlertEvent] = dataclasses.field(default_factory=list)
    resolved: list[AlertEvent] = dataclasses.field(default_factory=list)
    sent: int = 0
    pending: int = 0
    held: int = 0
    problems: list[str] = dataclasses.field(default_factory=list)

    @property
    def active(self) -> bool:
        """Whether the summary line reports alerts: a channel is configured, or something was sent or waits."""
        return bool(self.channels or self.sent or self.pending or self.held)

    def summary(self) -> str:
        """``alerts sent: N, pending: M``: messages a channel took in this run, and messages still waiting for one."""
        return f"alerts sent: {self.sent}, pending: {self.pending}" + (f", held: {self.held}" if self.held else "")


def _utc(now: dt.datetime | None) -> dt.datetime:
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.replace(tzinfo=dt.timezone.utc) if now.tzinfo is None else now.astimezone(dt.timezone.utc)


def route_problems(alerts: AlertsSpec, channels: Iterable[str]) -> list[str]:
    """Routes in monitor.toml that name a channel the settings do not configure."""
    known = set(channels)
    return [f"monitor.toml routes alerts to channel '{c}', which the settings do not configure"
            + (f" (configured: {', '.join(sorted(known))})" if known else " (no alert channel is configured)")
            for c in sorted(alerts.route_channels() - known)]


def _evaluate(service, name: str, alerts: AlertsSpec, failures: Sequence[Any], now: dt.datetime) -> list[RuleState]:
    config = alerts.for_model(name)
    try:
        spec = service.spec.model(name)
    except KeyError:
        return evaluate_broken(name, config, failures, now=now)
    snapshots = service.snapshots(name)
    runs = service.pipeline_runs(now - RUNS_WINDOW, now + dt.timedelta(microseconds=1), list(spec.pipelines)) \
        if spec.pipelines else []
    return evaluate(spec, config, snapshots, runs, now=now, failures=failures)


def run_alerts(service, models: Sequence[str], failures: Sequence[Any] = (), *, now: dt.datetime | None = None,
               progress: Progress | None = None) -> AlertRun:
    """Evaluate the rules of ``models``, store the changes, deliver what is pending. ``failures``: the job's failures."""
    now = _utc(now)
    say = progress or (lambda done, total, message: None)
    settings = service.settings
    alerts = service.spec.alerts
    channels = build_channels(settings)
    run = AlertRun(channels=tuple(channels), problems=route_problems(alerts, channels))
    store = AlertStore(service.store)
    states = {(s.model, s.key): s for s in store.states()}
    actions = store.actions()
    for name in models:
        try:
            current = _evaluate(service, name, alerts, [f for f in failures if f.model == name], now)
        except Exception as exc:  # one model's trouble must not stop the others' alerts
            run.problems.append(f"model '{name}': alerts not evaluated: {_detail(exc)}")
            continue
        config = alerts.for_model(name)
        seen = set()
        for state in current:
            seen.add(state.key)
            previous = states.get((name, state.key))
            fired = store.event(f"event:{previous.episode}:fired") if previous is not None and previous.firing and \
                not state.firing and previous.episode else None
            targets = config.channels_for(state.personas, channels)
            unrouted = "no alert channel is configured" if not channels else \
                f"not routed: [alerts.routes] sends {' / '.join(state.personas)} alerts to no channel"
            new, events = transition(previous, state, now=now, app_url=settings.app_url, channels=targets,
                                     unrouted=unrouted,
                                     cooldown_hours=config.cooldown(config.rule(state.rule)),
                                     action=actions.get((name, state.key)), fired=fired)
            _save(store, new, events, run)
        for (model, key), previous in states.items():
            if model == name and key not in seen and previous.firing:
                _save(store, *close(previous, now=now), run)
    onboarded = set(service.spec.names) | set(service.spec.broken)
    for (model, _), previous in states.items():  # a model taken out of monitor.toml leaves no alert open
        if model not in onboarded and previous.firing:
            _save(store, *close(previous, now=now, why="its model is no longer in monitor.toml"), run)
    for event in run.fired + run.resolved:
        say(0, 0, f"alert {event.kind}: {event.message}")
    sent, pending, held, errors = deliver_pending(store, channels, settings, now)
    run.sent, run.pending, run.held = sent, pending, held
    for error in errors:
        say(0, 0, f"alert delivery: {error}")
    for problem in run.problems:
        say(0, 0, f"alerts: {problem}")
    return run


def _save(store: AlertStore, state: AlertState, events: list[AlertEvent], run: AlertRun) -> None:
    for event in events:  # events first: a state is never stored without the change that led to it
        store.save(event)
        if event.kind == "fired" and not event.suppressed:
            run.fired.append(event)
        elif event.kind == "resolved":
            run.resolved.append(event)
    store.save(state)


def _detail(exc: Exception) -> str:
    return str(exc) if isinstance(exc, MonitorError) else traceback.format_exception_only(type(exc), exc)[-1].strip()


def message_for(event: AlertEvent, app_url: str) -> Message:
    """The message of one history event, for every channel."""
    name = title(event.key)
    if event.kind == "resolved":
        head, text = f"Resolved: {name} of {event.model}", f"Over at {_when(event.at)}: {event.message}"
    else:
        head, text = f"{name} of {event.model}", event.message
    return Message(kind=event.kind, title=head, text=text, link=event.link or app_url,
                   alerts_link=f"{app_url.rstrip('/')}/alerts", model=event.model, rule=event.rule, key=event.key,
                   severity="resolved" if event.kind == "resolved" else event.severity, batch_id=event.batch_id,
                   run_id=event.run_id, at=_when(event.at), episode=event.episode, personas=event.personas)


def _when(iso: str) -> str:
    return dt.datetime.fromisoformat(iso).astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _send(channel: Channel, message: Message, retries: int, backoff: float) -> tuple[str, int]:
    """(answer, attempts); bounded retries with exponential backoff for transient failures only."""
    for attempt in range(retries + 1):
        try:
            return channel.send(message), attempt + 1
        except ChannelError as exc:
            exc.attempts = attempt + 1
            if not exc.transient or attempt == retries:
                raise
            time.sleep(backoff * 2 ** attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def deliver_pending(store: AlertStore, channels: dict[str, Channel], settings, now: dt.datetime) -> tuple[int, int, int, list[str]]:
    """Deliver every pending message, oldest first: (sent, still pending, held by a mute or cool-down, errors).

    A channel that fails is left alone for the rest of the run, and a resolution never overtakes its alert:
    both wait for the next run.
    """
    sent = pending = held = 0
    errors: list[str] = []
    down: dict[str, str] = {}
    blocked: set[tuple[str, str]] = set()
    for event in (e for e in store.events() if e.pending):
        if event.held(now):
            held += len(event.pending)
            continue
        deliveries = dict(event.deliveries)
        message = message_for(event, settings.app_url)
        for name in event.pending:
            before = deliveries[name]
            channel = channels.get(name)
            if channel is None:
                why = f"channel '{name}' is not configured (see MONITOR_ALERT_* settings)"
            elif name in down:
                why = f"not tried in this run: {down[name]}"
            elif (event.episode, name) in blocked:
                why = "waits for the alert it resolves"
            else:
                try:
                    answer, attempts = _send(channel, message, settings.alert_retries, settings.alert_backoff)
                except ChannelError as exc:
                    down[name] = str(exc)
                    deliveries[name] = dataclasses.replace(before, attempts=before.attempts + exc.attempts, error=str(exc),
                                                           answer=exc.answer or None)
                    errors.append(f"{event.kind} '{event.key}' of {event.model} is pending for channel '{name}': {exc}")
                    blocked.add((event.episode, name))
                    pending += 1
                    continue
                deliveries[name] = Delivery("sent", before.attempts + attempts, None, answer, now.isoformat())
                sent += 1
                continue
            deliveries[name] = dataclasses.replace(before, error=why)
            blocked.add((event.episode, name))
            pending += 1
        store.save(dataclasses.replace(event, deliveries=deliveries))
    return sent, pending, held, errors


@dataclasses.dataclass(frozen=True)
class TestResult:
    """What one channel answered to the test message."""

    name: str
    kind: str
    target: str
    ok: bool
    answer: str

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}, {self.target}): {'sent' if self.ok else 'FAILED'}: {self.answer}"


def send_test(settings, spec: AlertsSpec | None = None) -> tuple[list[TestResult], list[str]]:
    """Send a test message to every configured channel, once each: (what each answered, route problems)."""
    channels = build_channels(settings)
    results = []
    for name, channel in channels.items():
        message = Message(kind="test", title="Test message from MLOps Monitor",
                          text=f"This is a test of the {channel.kind} channel '{name}': alerts routed to it arrive here.",
                          link=settings.app_url, alerts_link=f"{settings.app_url.rstrip('/')}/alerts",
                          at=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
        try:
            results.append(TestResult(name, channel.kind, channel.target, True, channel.send(message)))
        except ChannelError as exc:
            results.append(TestResult(name, channel.kind, channel.target, False, str(exc)))
    return results, route_problems(spec, channels) if spec is not None else []
