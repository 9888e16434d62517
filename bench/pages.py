"""Page latency in a real browser: time from navigation to content for every page, cold and warm.

Starts the app with scripts/start.sh (as the container does) on a demo workspace, built in a temporary
folder with ``python -m monitor demo`` and ``python -m monitor run`` unless ``--workspace`` names one,
and drives headless Chromium (/usr/bin/chromium) with Playwright. A page counts as shown when its
title is on screen and its script run is over (nothing left stale). Cold is the first visit of each
page after the server started (the first page also pays for building the service); warm is the
median of the repeat visits, each a fresh page load (a fresh Streamlit session, the frontend loaded
anew); nav is the median time of going to the page through the sidebar, within one session.
Targets on this machine: warm <= 1 s and cold <= 3 s per page. The last line printed is one JSON object.

    python bench/pages.py [--workspace DIR] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
START_COMMAND = ["sh", "scripts/start.sh"]
PAGES = [("/health", "Model health"), ("/pipelines", "Pipelines & data"), ("/drift", "Drift"),
         ("/explain", "Explainability"), ("/provenance", "Provenance"), ("/models", "Models & onboarding")]
WARM_TARGET_S, COLD_TARGET_S = 1.0, 3.0
DONE = """() => {
    const app = document.querySelector('.stApp');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-stale="true"]');
}"""


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


def visit(page, url: str, title: str) -> float:
    """Seconds from navigation to the page's content being shown."""
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.locator('[data-testid="stMain"] h1').filter(has_text=title).first.wait_for(timeout=180_000)
    page.wait_for_function(DONE, timeout=180_000, polling=20)
    elapsed = time.perf_counter() - start
    if page.locator('[data-testid="stException"]').count():
        raise RuntimeError(f"{url} shows an exception: {page.locator('[data-testid=stException]').first.inner_text()}")
    return elapsed


def navigate(page, path: str, title: str) -> float:
    """Seconds from a click on the page's sidebar link (same session) to its content being shown."""
    start = time.perf_counter()
    page.locator(f'[data-testid="stSidebarNav"] a[href$="{path}"]').click()
    page.locator('[data-testid="stMain"] h1').filter(has_text=title).first.wait_for(timeout=180_000)
    page.wait_for_function(DONE, timeout=180_000, polling=20)
    return time.perf_counter() - start


def measure(base_url: str, repeats: int) -> dict[str, dict[str, float]]:
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
        browser.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="an existing, monitored demo workspace (default: build one)")
    parser.add_argument("--repeats", type=int, default=5, help="warm visits per page (default 5)")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is not installed (apt-get install chromium)", file=sys.stderr)
        return 2

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
            results = measure(url, args.repeats)
        finally:
            proc.terminate()
            proc.wait(10)

    print(f"{'page':<14}{'cold s':>9}{'warm s':>9}{'warm max s':>12}{'nav s':>9}")
    for path, r in results.items():
        flag = " SLOW" if r["cold"] > COLD_TARGET_S or r["warm"] > WARM_TARGET_S else ""
        print(f"{path:<14}{r['cold']:>9.2f}{r['warm']:>9.2f}{r['warm_max']:>12.2f}{r['nav']:>9.2f}{flag}")
    print(f"targets: warm <= {WARM_TARGET_S:g} s, cold <= {COLD_TARGET_S:g} s per page (warm = median of {args.repeats})")
    summary = {"warm_max_s": round(max(r["warm"] for r in results.values()), 3),
               "cold_max_s": round(max(r["cold"] for r in results.values()), 3),
               "warm_nav_max_s": round(max(r["nav"] for r in results.values()), 3)}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
