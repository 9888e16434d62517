"""Page latency in a real browser: time from navigation to content for every page, cold and warm, and the
time of the interactions on each page.

Starts the app with scripts/start.sh (as the container does) on a demo workspace, built in a temporary
folder with ``python -m monitor demo`` and ``python -m monitor run`` unless ``--workspace`` names one,
and drives headless Chromium (/usr/bin/chromium) with Playwright. A page counts as shown when its
title is on screen and its script run is over (nothing left stale). Cold is the first visit of each
page after the server started (the first page also pays for building the service); warm is the
median of the repeat visits, each a fresh page load (a fresh Streamlit session, the frontend loaded
anew); nav is the median time of going to the page through the sidebar, within one session.

An interaction is timed from the user's action (picking an option, leaving the edited date field,
clicking a node or a button, once the browser is idle so that the drawing of the previous step is not
counted) to the script run it started being over with nothing stale (and its result shown). Each is
repeated ``--repeats`` times on a freshly loaded page, each time changing what is shown:

- model: the next option of the "Model" selectbox of the page header (with two models, they alternate);
- period: a shorter "Period", typed into its start date (a different start each time, 42 to 98 days back);
- batch: the next (older) option of the "Batch" selectbox; feature: the next option of Drift's "Feature";
- node click: a click on a snapshot box of the Provenance graph (vis-network canvas in the component's
  iframe), alternating between two; the page's "Node" selectbox is used instead when the canvas click is
  not taken up, and the output says which was used;
- trace-back: the "Trace back" button of Provenance, after picking another snapshot in "Node" (not timed).

First is the first repetition (the likeliest to miss the caches), then the median and the maximum. A
widget that is not on the page is reported and skipped. Targets on this machine: warm <= 1 s, cold <=
3 s per page, interaction <= 1 s (each on the median). The last line printed is one JSON object.

    python bench/pages.py [--workspace DIR] [--repeats 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
START_COMMAND = ["sh", "scripts/start.sh"]
PAGES = [("/health", "Model health"), ("/pipelines", "Pipelines & data"), ("/performance", "Performance"),
         ("/drift", "Drift"), ("/explain", "Explainability"), ("/provenance", "Provenance"),
         ("/models", "Models & onboarding"), ("/alerts", "Alerts")]
WARM_TARGET_S, COLD_TARGET_S, INTERACTION_TARGET_S = 1.0, 3.0, 1.0
TIMEOUT_MS = 180_000
CANVAS_TIMEOUT_MS = 20_000
DONE = """() => {
    const app = document.querySelector('.stApp');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-stale="true"]');
}"""
ARM = """() => {
    const app = document.querySelector('.stApp');
    if (window.__benchApp !== app) {
        window.__benchApp = app;
        new MutationObserver(() => { window.__benchRuns += 1; })
            .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    }
    window.__benchRuns = 0;
}"""
"""Counts the changes of the script-run state from now on: one means a script run started (however short)."""
IDLE = "() => new Promise(done => requestIdleCallback(() => done(), {timeout: 5000}))"
"""Resolves once the browser's main thread is idle: the previous step's drawing is not counted in the next action."""
SETTLED = "(arg) => window.__benchRuns > 0 && ({done})() && ({ready})"
SELECTBOX_IS = """[...document.querySelectorAll('[data-testid="stSelectbox"] input[role="combobox"]')]
    .some(i => i.getAttribute('aria-label') === arg.label && i.value === arg.value)"""
SELECTBOX_NOT = """[...document.querySelectorAll('[data-testid="stSelectbox"] input[role="combobox"]')]
    .some(i => i.getAttribute('aria-label') === arg.label && i.value && i.value !== arg.value)"""
GRAPH_NODES = """() => {
    // The vis-network instance of streamlit-agraph, found through React's fiber of the canvas' container
    // (the component keeps it in its state): the box nodes and their positions on the canvas, in CSS pixels.
    const canvas = document.querySelector('canvas');
    for (let el = canvas; el; el = el.parentElement) {
        const key = Object.keys(el).find(k => k.startsWith('__reactFiber') || k.startsWith('__reactInternalInstance'));
        if (!key) continue;
        for (let fiber = el[key]; fiber; fiber = fiber.return) {
            for (let hook = fiber.memoizedState; hook && typeof hook === 'object' && 'next' in hook; hook = hook.next) {
                const net = hook.memoizedState;
                if (net && typeof net.getPositions === 'function' && typeof net.canvasToDOM === 'function') {
                    const boxes = net.body.data.nodes.get().filter(n => n.shape === 'box');
                    const pos = net.getPositions(boxes.map(n => n.id));
                    return boxes.map(n => ({id: n.id, ...net.canvasToDOM(pos[n.id])}));
                }
            }
        }
        return null;
    }
    return null;
}"""


class Missing(Exception):
    """The interaction's widget is not on the page."""


class NotTaken(Exception):
    """The graph's canvas cannot be clicked at a node (its nodes cannot be located)."""


@dataclasses.dataclass(frozen=True)
class Interaction:
    name: str
    paths: tuple[str, ...]
    run: Callable  # (page, repeat index) -> (seconds, how it was done)


def build_workspace(env: dict[str, str]) -> None:
    """Build and monitor the demo workspace named by ``env['MONITOR_WORKSPACE']``."""
    for step in (["demo"], ["run"]):
        subprocess.run([sys.executable, "-m", "monitor", *step], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**env, "PORT": str(port), "PYTHON": sys.executable, "MONITOR_DEMO": "0"}
    with open(log, "w") as out:
        proc = subprocess.Popen(START_COMMAND, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise TimeoutError(f"{url} did not become healthy; see {log}")


def check_no_exception(page, where: str) -> None:
    box = page.locator('[data-testid="stException"]')
    if box.count():
        raise RuntimeError(f"{where} shows an exception: {box.first.inner_text()}")


def visit(page, url: str, title: str) -> float:
    """Seconds from navigation to the page's content being shown."""
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    heading = page.locator('[data-testid="stMain"] h1').filter(has_text=title)
    heading.or_(page.locator('[data-testid="stException"]')).first.wait_for(timeout=TIMEOUT_MS)  # a broken page fails fast
    page.wait_for_function(DONE, timeout=TIMEOUT_MS, polling=20)
    elapsed = time.perf_counter() - start
    check_no_exception(page, url)
    return elapsed


def navigate(page, path: str, title: str) -> float:
    """Seconds from a click on the page's sidebar link (same session) to its content being shown."""
    start = time.perf_counter()
    page.locator(f'[data-testid="stSidebarNav"] a[href$="{path}"]').click()
    page.locator('[data-testid="stMain"] h1').filter(has_text=title).first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(DONE, timeout=TIMEOUT_MS, polling=20)
    return time.perf_counter() - start


# --- interactions ---


def timed(page, act: Callable[[], object], ready: str = "true", arg=None, timeout: int = TIMEOUT_MS) -> float:
    """Seconds from ``act`` (the user's action, once the browser is idle) until a script run started after it is
    over, nothing is stale and the JavaScript expression ``ready`` (which sees ``arg``) holds."""
    page.evaluate(IDLE)
    page.evaluate(ARM)
    start = time.perf_counter()
    act()
    page.wait_for_function(SETTLED.format(done=DONE, ready=ready), arg=arg, timeout=timeout, polling=20)
    elapsed = time.perf_counter() - start
    check_no_exception(page, "the page")
    return elapsed


def present(locator, what: str, timeout: int = 5_000):
    """The first element of ``locator`` once it is visible; :class:`Missing` when it does not show up. (Widgets are
    drawn by components the frontend loads on demand, so one can appear a moment after the script run is over.)"""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        locator.first.wait_for(state="visible", timeout=timeout)
    except PlaywrightTimeout:
        raise Missing(f"no {what}") from None
    return locator.first


def selectbox(page, label: str):
    """The input of the selectbox labelled ``label`` (its visible label is the input's accessible name)."""
    return present(page.locator('[data-testid="stSelectbox"]').get_by_role("combobox", name=label, exact=True),
                   f'"{label}" selectbox')


def open_options(page, combo, typed: str = ""):
    """Open the selectbox's list (typing ``typed`` to filter it) and return its options."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    options = page.locator('[role="listbox"] [role="option"]')
    for _ in range(3):
        combo.click()
        if typed:
            page.keyboard.press("ControlOrMeta+a")
            page.keyboard.type(typed)
        try:
            options.first.wait_for(timeout=3_000)
            return options
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise RuntimeError(f"the list of the {combo.get_attribute('aria-label')!r} selectbox did not open")


def pick_next(page, label: str, typed: str = "") -> float:
    """Pick the option after the current one in the selectbox ``label`` (among those matching ``typed``, typed
    into it first); seconds from the click on the option to the page being shown again."""
    combo = selectbox(page, label)
    current = combo.input_value()
    options = open_options(page, combo, typed)
    texts = [t.strip() for t in options.all_inner_texts()]
    if not [t for t in texts if t != current]:
        page.keyboard.press("Escape")
        raise Missing(f'other option in the "{label}" selectbox')
    target = texts[(texts.index(current) + 1) % len(texts)] if current in texts else texts[0]
    option = page.locator('[role="listbox"]').get_by_role("option", name=target, exact=True).first
    return timed(page, option.click, SELECTBOX_IS, {"label": label, "value": target})


def change_model(page, i: int) -> tuple[float, str]:
    return pick_next(page, "Model"), "Model selectbox"


def change_batch(page, i: int) -> tuple[float, str]:
    return pick_next(page, "Batch"), "Batch selectbox"


def change_feature(page, i: int) -> tuple[float, str]:
    return pick_next(page, "Feature"), "Feature selectbox"


def change_period(page, i: int, label: str = "Period") -> tuple[float, str]:
    """Type a later start date into the period's start field (a shorter range, a different one each time), then
    leave the field, which submits it; timed from leaving the field."""
    start_field = present(page.get_by_role("group", name=f"{label} start date", exact=True), f'"{label}" date input')
    field = page.locator('[data-testid="stDateInput"]').filter(has=start_field).first
    end = dt.date.fromisoformat(field.locator('[data-range-field="end"] input[type="date"]').first.get_attribute("value"))
    start = end - dt.timedelta(days=(42, 84)[i % 2] + 7 * (i // 2 % 3))
    for part, digits in (("year", f"{start.year:04d}"), ("month", f"{start.month:02d}"), ("day", f"{start.day:02d}")):
        field.get_by_role("spinbutton", name=f"{part}, {label} start date", exact=True).click()
        page.keyboard.type(digits)
    shown = '[...document.querySelectorAll(\'[data-testid="stDateInput"] [data-range-field="start"] input[type="date"]\')]' \
            ".some(i => i.value === arg)"
    heading = page.locator('[data-testid="stMain"] h1').first
    return timed(page, heading.click, shown, start.isoformat()), "typed start date"


def graph_iframe(page):
    return present(page.locator('iframe[title="streamlit_agraph.agraph"]'), "provenance graph")


def click_canvas(page, i: int) -> float:
    """Click the canvas at a snapshot box (the two topmost, alternating): seconds until the page shows it selected."""
    iframe = graph_iframe(page)
    previous = selectbox(page, "Node").input_value()
    # Scroll the graph to the top of the window and let it settle, then click with the mouse at window coordinates
    # (a click that scrolls first can land off the box while the page is still moving).
    iframe.evaluate("el => el.scrollIntoView({block: 'start', behavior: 'instant'})")
    box = None
    for _ in range(50):
        time.sleep(0.05)
        now = iframe.bounding_box()
        if now is not None and now == box:
            break
        box = now
    frame = iframe.element_handle().content_frame()
    frame.locator("canvas").first.wait_for(timeout=10_000)
    nodes = frame.evaluate(GRAPH_NODES)
    if not nodes:
        raise NotTaken("the graph's vis-network instance was not found")
    bottom = min(box["height"], page.viewport_size["height"] - box["y"])
    nodes = sorted((n for n in nodes if 0 < n["y"] < bottom), key=lambda n: (n["y"], n["x"]))
    snapshots = [n for n in nodes if n["id"].startswith("snapshot:")] or nodes
    if not snapshots:
        raise NotTaken("no node box is in view")
    node = snapshots[:2][i % min(2, len(snapshots))]
    x, y = box["x"] + node["x"], box["y"] + node["y"]
    return timed(page, lambda: page.mouse.click(x, y), SELECTBOX_NOT, {"label": "Node", "value": previous},
                 CANVAS_TIMEOUT_MS)


def click_node(page, i: int) -> tuple[float, str]:
    """A click on a node of the graph; the "Node" selectbox instead when the canvas does not take the click."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        return click_canvas(page, i), "canvas click"
    except (NotTaken, PlaywrightError) as exc:
        print(f"  /provenance node click: the canvas click was not taken up ({str(exc).splitlines()[0]}); "
              "using the Node selectbox", flush=True)
        page.keyboard.press("Escape")
        return pick_next(page, "Node", "Snapshot"), "Node selectbox"


def trace_back(page, i: int) -> tuple[float, str]:
    """Pick another snapshot in "Node" (not timed), then click "Trace back"."""
    button = present(page.locator('[data-testid="stMain"]').get_by_role("button", name="Trace back", exact=True),
                     '"Trace back" button')
    pick_next(page, "Node", "Snapshot")
    node = selectbox(page, "Node").input_value()
    traced = "[...document.querySelectorAll('[data-testid=\"stMain\"] h3')]" \
             ".some(h => h.textContent.includes('Trace back from') && h.textContent.includes(arg))"
    return timed(page, button.click, traced, node), "Trace back button"


MODEL_PAGES = ("/health", "/pipelines", "/performance", "/drift", "/explain")
INTERACTIONS = [
    Interaction("model", MODEL_PAGES, change_model),
    Interaction("period", (*MODEL_PAGES, "/provenance"), change_period),
    Interaction("batch", ("/drift", "/explain"), change_batch),
    Interaction("feature", ("/drift",), change_feature),
    Interaction("node click", ("/provenance",), click_node),
    Interaction("trace-back", ("/provenance",), trace_back),
]


def interact(page, base_url: str, repeats: int) -> dict[str, dict[str, dict]]:
    """Per page and interaction: the run times and how it was done, or why it was skipped or failed."""
    from playwright.sync_api import Error as PlaywrightError

    out: dict[str, dict[str, dict]] = {}
    for path, title in PAGES:
        for it in INTERACTIONS:
            if path not in it.paths:
                continue
            times, how = [], []
            try:
                visit(page, base_url + path, title)
                for i in range(repeats):
                    seconds, via = it.run(page, i)
                    times.append(seconds)
                    how.append(via)
            except Missing as exc:
                print(f"  {path} {it.name}: skipped, {exc}", flush=True)
                out.setdefault(path, {})[it.name] = {"skipped": str(exc)}
                continue
            except (PlaywrightError, RuntimeError) as exc:
                why = str(exc).splitlines()[0][:200]
                print(f"  {path} {it.name}: FAILED after {len(times)} run(s): {why}", flush=True)
                out.setdefault(path, {})[it.name] = {"failed": why}
                continue
            out.setdefault(path, {})[it.name] = {
                "runs": times, "first": times[0], "median": statistics.median(times), "max": max(times),
                "via": " / ".join(dict.fromkeys(how))}
            print(f"  {path} {it.name}: " + ", ".join(f"{t:.2f}" for t in times) + f" s ({out[path][it.name]['via']})",
                  flush=True)
    return out


def measure(base_url: str, repeats: int) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, dict]]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        for path, title in PAGES:
            results[path] = {"cold": visit(page, base_url + path, title)}
        for path, title in PAGES:
            warm = [visit(page, base_url + path, title) for _ in range(repeats)]
            results[path].update(warm=statistics.median(warm), warm_max=max(warm))
        nav: dict[str, list[float]] = {path: [] for path, _ in PAGES}
        visit(page, base_url + PAGES[-1][0], PAGES[-1][1])
        for _ in range(repeats):
            for path, title in PAGES:
                nav[path].append(navigate(page, path, title))
        for path, times in nav.items():
            results[path]["nav"] = statistics.median(times)
        print("interactions (seconds per run):", flush=True)
        interactions = interact(page, base_url, repeats)
        browser.close()
    return results, interactions


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(results: dict[str, dict[str, float]], interactions: dict[str, dict[str, dict]], repeats: int) -> dict:
    """Print the tables and the targets; return the summary (the last line)."""
    print(f"\n{'page':<14}{'cold s':>9}{'warm s':>9}{'warm max s':>12}{'nav s':>9}")
    for path, r in results.items():
        flag = " SLOW" if r["cold"] > COLD_TARGET_S or r["warm"] > WARM_TARGET_S else ""
        print(f"{path:<14}{r['cold']:>9.2f}{r['warm']:>9.2f}{r['warm_max']:>12.2f}{r['nav']:>9.2f}{flag}")

    timed_ones = [(path, name, r) for path, per in interactions.items() for name, r in per.items() if "median" in r]
    print(f"\n{'page':<14}{'interaction':<13}{'first s':>9}{'median s':>10}{'max s':>8}   how")
    for path, per in interactions.items():
        for name, r in per.items():
            if "median" in r:
                flag = "" if r["median"] <= INTERACTION_TARGET_S else "  SLOW"
                print(f"{path:<14}{name:<13}{r['first']:>9.2f}{r['median']:>10.2f}{r['max']:>8.2f}   {r['via']}{flag}")
            else:
                print(f"{path:<14}{name:<13}{'—':>9}{'—':>10}{'—':>8}   "
                      + (f"skipped: {r['skipped']}" if "skipped" in r else f"FAILED: {r['failed']}"))

    slowest_warm = max(results, key=lambda p: results[p]["warm"])
    slowest_cold = max(results, key=lambda p: results[p]["cold"])
    warm_max, cold_max = results[slowest_warm]["warm"], results[slowest_cold]["cold"]
    slow_it = max(timed_ones, key=lambda t: t[2]["median"], default=None)
    worst_it = max(timed_ones, key=lambda t: t[2]["max"], default=None)
    it_max = slow_it[2]["median"] if slow_it else None
    print(f"\ntargets (on the median of {repeats}):")
    print(f"  warm <= {WARM_TARGET_S:g} s: {verdict(warm_max <= WARM_TARGET_S)} (slowest {slowest_warm} {warm_max:.2f} s)")
    print(f"  cold <= {COLD_TARGET_S:g} s: {verdict(cold_max <= COLD_TARGET_S)} (slowest {slowest_cold} {cold_max:.2f} s)")
    if slow_it:
        print(f"  interaction <= {INTERACTION_TARGET_S:g} s: {verdict(it_max <= INTERACTION_TARGET_S)} (slowest "
              f"{slow_it[0]} {slow_it[1]} {it_max:.2f} s; slowest single run {worst_it[0]} {worst_it[1]} "
              f"{worst_it[2]['max']:.2f} s)")
    missed = [f"{path} {name}" for path, per in interactions.items() for name, r in per.items() if "median" not in r]
    if missed:
        print("  not measured: " + ", ".join(missed))

    medians: dict[str, dict[str, float]] = {}
    for path, r in results.items():
        medians[path] = {"warm": round(r["warm"], 3), "nav": round(r["nav"], 3)}
        for name, it in interactions.get(path, {}).items():
            if "median" in it:
                medians[path][name] = round(it["median"], 3)
    node = interactions.get("/provenance", {}).get("node click", {})
    return {
        "warm_max_s": round(warm_max, 3), "cold_max_s": round(cold_max, 3),
        "warm_nav_max_s": round(max(r["nav"] for r in results.values()), 3),
        "interaction_max_s": round(it_max, 3) if slow_it else None,
        "interaction_worst_run_s": round(worst_it[2]["max"], 3) if worst_it else None,
        "slowest_warm": slowest_warm, "slowest_cold": slowest_cold,
        "slowest_interaction": f"{slow_it[0]} {slow_it[1]}" if slow_it else None,
        "targets_met": {"warm": warm_max <= WARM_TARGET_S, "cold": cold_max <= COLD_TARGET_S,
                        "interaction": it_max is not None and it_max <= INTERACTION_TARGET_S and not missed},
        "node_click_via": node.get("via") or node.get("skipped") or node.get("failed"),
        "not_measured": missed,
        "medians_s": medians,
        "cold_s": {path: round(r["cold"], 3) for path, r in results.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="an existing, monitored demo workspace (default: build one)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="warm visits, sidebar moves and repetitions of each interaction per page (default 5)")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        env["MONITOR_SPEC"] = str(ROOT / "monitor.toml")
        if args.workspace:
            env["MONITOR_WORKSPACE"] = str(args.workspace.resolve())
        else:
            env["MONITOR_WORKSPACE"] = str(Path(tmp) / "workspace")
            t = time.perf_counter()
            build_workspace(env)
            print(f"demo workspace built and monitored in {time.perf_counter() - t:.0f} s")
        proc, url = start_app(env, Path(tmp) / "app.log")
        try:
            results, interactions = measure(url, args.repeats)
        finally:
            proc.terminate()
            proc.wait(10)

    print(json.dumps(report(results, interactions, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
