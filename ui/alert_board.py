"""The Alerts page's reads and actions, through the service: the page itself never holds the service or its store.

Not cached: the board changes with every acknowledgement or mute. A store failure is shown on the page
and stops it (:func:`ui.cache.guarded`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from monitor.alerts.board import MUTE_CHOICES, Board, history_frame, open_frame
from ui import cache

__all__ = ["MUTE_CHOICES", "history_frame", "open_frame", "channel_names", "route_problems", "alert_models", "current_board", "acknowledge", "mute"]


def channel_names() -> list[str]:
    """The alert channels the settings configure."""
    from monitor.alerts.channels import build_channels

    return list(build_channels(cache.service().settings))


def route_problems(channels: Sequence[str]) -> list[str]:
    """Routes of monitor.toml that name a channel the settings do not configure."""
    from monitor.alerts.deliver import route_problems as problems

    return problems(cache.service().spec.alerts, channels)


def alert_models() -> list[str]:
    """Every model alerts can be about: the onboarded ones and those whose table is broken."""
    spec = cache.service().spec
    return list(spec.names) + list(spec.broken)


@cache.guarded
def current_board(personas: Sequence[str], models: Sequence[str] | None, now: dt.datetime) -> Board:
    """Open alerts and history routed to ``personas`` (of ``models``, or all)."""
    from monitor.alerts.board import board

    return board(cache.service().store, list(personas), list(models) if models else None, now)


@cache.guarded
def acknowledge(model: str, key: str, episode: str, by: str) -> None:
    from monitor.alerts.state import AlertStore

    AlertStore(cache.service().store).acknowledge(model, key, episode, by)


@cache.guarded
def mute(model: str, key: str, until: dt.datetime | None, by: str) -> None:
    """Hold an alert's messages until ``until`` (``None`` lifts the mute)."""
    from monitor.alerts.state import AlertStore

    AlertStore(cache.service().store).mute(model, key, until, by)
