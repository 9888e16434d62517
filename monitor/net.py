"""Bounded waits for every backend call, and TLS warnings said once.

Each backend gets a connect timeout and a read timeout per request, and each call a total budget
(the ``backend_timeout`` setting, ``MONITOR_BACKEND_TIMEOUT``, 20 s by default): a server that
accepts connections but never answers is reported, with its name, within that budget instead of
after the client libraries' own minutes of retries.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["CONNECT_TIMEOUT", "READ_TIMEOUT", "DEFAULT_BUDGET", "BudgetExceeded", "within", "Breaker",
           "quiet_insecure_tls"]

T = TypeVar("T")

CONNECT_TIMEOUT = 5.0
"""Seconds to open a connection to a backend."""
READ_TIMEOUT = 10.0
"""Seconds to wait for the next bytes of an answer."""
DEFAULT_BUDGET = 20.0
"""Seconds one backend call may take in all, retries included."""


class BudgetExceeded(TimeoutError):
    """A call did not finish within its budget (the call itself may still be running in the background)."""


def within(budget: float | None, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, or :class:`BudgetExceeded` after ``budget`` seconds.

    The call runs in a daemon thread, so a stuck socket never keeps the process (or a command
    that already reported the problem) from exiting. ``budget=None`` runs it inline.
    """
    if budget is None:
        return fn(*args, **kwargs)
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="backend-call", daemon=True).start()
    if not done.wait(budget):
        raise BudgetExceeded(f"no answer within {round(budget, 1):g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


class Breaker:
    """Remembers that a backend just timed out, so the next calls fail at once instead of waiting again."""

    def __init__(self, cool_down: float = 30.0):
        self.cool_down = cool_down
        self._until = 0.0
        self._reason = ""
        self._lock = threading.Lock()

    def trip(self, reason: str) -> None:
        with self._lock:
            self._until = time.monotonic() + self.cool_down
            self._reason = reason

    def reset(self) -> None:
        with self._lock:
            self._until = 0.0

    def open_reason(self) -> str | None:
        """Why calls are refused now, or None when they may go ahead."""
        with self._lock:
            return self._reason if time.monotonic() < self._until else None


def quiet_insecure_tls() -> None:
    """Show urllib3's warning about unverified HTTPS at most once per process, not once per request."""
    try:
        from urllib3.exceptions import InsecureRequestWarning
    except ImportError:  # pragma: no cover - urllib3 comes with requests
        return
    if not any(f[0] == "once" and f[2] is InsecureRequestWarning for f in warnings.filters):
        warnings.filterwarnings("once", category=InsecureRequestWarning)
