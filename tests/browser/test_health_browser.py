"""Model health and Pipelines & data in headless Chromium at 1440×900, on the demo workspace.

Checks what a user sees, from the computed styles of the page: the KPI cards carry their status colour (a
coloured left border and background, and a coloured badge with the status in words), ok and amber/red cards
differ; every failing part lists a next step and a link that opens the page (and batch) showing the cause;
the failed run of the demo's store_demand ingestion pipeline is drawn on top of its same-day re-run and says the
re-run succeeded, and the status filter applies to the chart. Leaves health.png and pipelines.png (the whole
page) in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import AppPage, browser_tab

pytestmark = [pytest.mark.slow, pytest.mark.browser]

WIDTH, HEIGHT = 1440, 900
MAIN = '[data-testid="stMain"]'
CARDS = f'{MAIN} [class*="st-key-kpicard-"]'
ITEMS = f'{MAIN} [class*="st-key-attention-"]'
STATUS_OF_CLASS = re.compile(r"st-key-(?:kpicard|attention)-(ok|warn|alert|none)-")
WORDS = {"ok": "on track", "warn": "keep an eye on it", "alert": "needs attention", "none": "no status"}
BLANK = {"rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)", "rgba(255, 255, 255, 1)"}


@pytest.fixture
def tab(live_app, browser):
    with browser_tab(browser, live_app, WIDTH, HEIGHT) as app:
        yield app


def _settle(app: AppPage) -> None:
    page = app.page
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=30_000)
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every(p => p.querySelector('.main-svg'))",
                           timeout=30_000)
    page.wait_for_timeout(500)


def _shoot(app: AppPage, artifacts, name: str) -> None:
    """The whole page: the app scrolls inside its main section, so the window is made as tall as its content."""
    _settle(app)
    page = app.page
    height = page.evaluate(f"() => document.querySelector('{MAIN}').scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": max(HEIGHT, int(height) + 40)})
    page.wait_for_timeout(800)  # charts and tables redraw at the new size
    _settle(app)
    folder = artifacts / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})


def _clean(app: AppPage) -> None:
    assert not app.exceptions(), app.exceptions()
    assert not app.errors, app.errors


def _style(locator, prop: str) -> str:
    return locator.evaluate("(el, prop) => getComputedStyle(el)[prop]", prop)


def _coloured(app: AppPage, selector: str) -> None:
    """Wait until the status colours apply to ``selector`` (the style element may arrive just after the elements)."""
    app.page.wait_for_function("""(sel) => [...document.querySelectorAll(sel)].every(
        el => !['rgba(0, 0, 0, 0)', 'transparent'].includes(getComputedStyle(el).backgroundColor))""", arg=selector,
                               timeout=10_000)


def _status(locator) -> str:
    found = STATUS_OF_CLASS.search(locator.get_attribute("class") or "")
    assert found, locator.get_attribute("class")
    return found[1]


def _badge(locator, words: str):
    """The badge of a card or item: the innermost element showing the status words."""
    return locator.locator("span").filter(has_text=words).last


def test_model_health_cards_carry_their_status_colour(tab, artifacts):
    tab.open("/health", "Model health")
    page = tab.page
    page.locator(CARDS).first.wait_for(timeout=60_000)
    cards = page.locator(CARDS)
    assert cards.count() == 5
    _coloured(tab, CARDS)
    seen: dict[str, set[tuple[str, str, str]]] = {}
    for i in range(5):
        card = cards.nth(i)
        status = _status(card)
        background, border = _style(card, "backgroundColor"), _style(card, "borderLeftColor")
        assert background not in BLANK and border not in BLANK, (status, background, border)
        assert float(_style(card, "borderLeftWidth").rstrip("px")) >= 4
        badge = _badge(card, WORDS[status])
        assert badge.is_visible(), f"card {i} ({status}) shows no '{WORDS[status]}' badge"
        badge_background = _style(badge, "backgroundColor")
        assert badge_background not in BLANK, (status, badge_background)
        seen.setdefault(status, set()).add((background, border, badge_background))
    assert "ok" in seen and {"warn", "alert"} & set(seen), seen  # the demo has green and amber/red figures
    ok = {c for colours in seen["ok"] for c in colours}
    for status in {"warn", "alert"} & set(seen):
        for colours in seen[status]:
            assert not set(colours) & ok, (status, colours, seen["ok"])  # border, background and badge all differ
    _clean(tab)


def test_every_failing_part_has_a_next_step_and_a_link_to_its_page_and_batch(tab, artifacts):
    tab.open("/health", "Model health")
    page = tab.page
    page.get_by_role("heading", name="What needs attention").wait_for(timeout=60_000)
    items = page.locator(ITEMS)
    assert items.count() >= 2  # the demo's loan_default: its inputs changed and its predictions shifted
    _coloured(tab, ITEMS)
    statuses = []
    for i in range(items.count()):
        item = items.nth(i)
        statuses.append(_status(item))
        assert _style(item, "backgroundColor") not in BLANK
        assert "Next step:" in item.inner_text()
        link = item.locator("a[href]")
        assert link.count() == 1, item.inner_text()
        assert "model=loan_default" in link.get_attribute("href") and "Open " in link.inner_text()
    assert statuses == sorted(statuses, key=["alert", "warn"].index)  # red first
    labels = [items.nth(i).inner_text() for i in range(items.count())]
    assert any("Inputs changed" in t for t in labels) and any("Predictions shifted" in t for t in labels)
    assert any("nearly twice as often" in t for t in labels)  # 3.3% against 1.7%, in words
    _shoot(tab, artifacts, "health")

    drift = items.locator("a[href]").filter(has_text=re.compile(r"Open Drift · batch of \d{4}-\d{2}-\d{2}")).first
    day = re.search(r"\d{4}-\d{2}-\d{2}", drift.inner_text())[0]
    drift.click()
    page.locator("h1").filter(has_text="Drift").first.wait_for(timeout=60_000)
    tab.wait_idle()
    batch = page.get_by_role("combobox", name="Batch", exact=True)
    batch.wait_for(timeout=60_000)
    assert batch.input_value().startswith(day)  # the link opened the Drift page on the batch it named
    assert page.get_by_role("combobox", name="Model", exact=True).input_value() == "loan_default"
    _clean(tab)


def _runs_chart(page):
    """(trace names in drawing order, annotation texts) of the pipeline-runs chart."""
    return page.evaluate("""() => {
        const plot = [...document.querySelectorAll('.js-plotly-plot')]
            .find(p => (p.layout?.title?.text || '').includes('Pipeline runs'));
        if (!plot) return null;
        return {traces: plot.data.map(t => t.name), notes: (plot.layout.annotations || []).map(a => a.text),
                failed: plot.querySelectorAll('.scatterlayer .trace:last-child .point').length};
    }""")


def test_pipelines_shows_the_failed_run_above_its_rerun(tab, artifacts):
    tab.open("/pipelines?model=store_demand", "Pipelines & data")
    page = tab.page
    assert page.get_by_role("combobox", name="Model", exact=True).input_value() == "store_demand"
    page.get_by_role("heading", name="Failed runs").wait_for(timeout=60_000)
    page.locator(f"{MAIN} .js-plotly-plot").first.wait_for(timeout=60_000)
    _settle(tab)
    chart = _runs_chart(page)
    assert chart, "no pipeline-runs chart"
    assert chart["traces"][-1] == "Failed" and chart["failed"] >= 1  # drawn last: on top of the same-day re-run
    assert any(n.startswith("failed · re-run succeeded at ") for n in chart["notes"]), chart["notes"]
    _shoot(tab, artifacts, "pipelines")
    for name in ("Rows and missing values per batch", "Data quality findings"):  # tabs run when opened
        page.get_by_role("tab", name=name).click()
        tab.wait_idle()
        page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=60_000)
    page.get_by_text(re.compile(r"^Information only: \d+ finding")).wait_for(timeout=60_000)
    assert page.get_by_text(re.compile(r"^Information only: \d+ finding")).is_visible()
    _clean(tab)


def test_the_status_filter_applies_to_the_runs_chart(tab):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    tab.open("/pipelines?model=store_demand", "Pipelines & data")
    page = tab.page
    page.locator(f"{MAIN} .js-plotly-plot").first.wait_for(timeout=60_000)
    status = page.get_by_test_id("stMultiSelect").filter(has_text="Status")
    status.scroll_into_view_if_needed()
    option = page.get_by_role("option", name="Failed", exact=True)
    for _ in range(3):  # a click that lands while the page still scrolls focuses the box without opening it
        status.locator("input").click()
        try:
            option.wait_for(timeout=3_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    option.click()
    page.keyboard.press("Escape")
    page.wait_for_function("""() => {
        const plot = [...document.querySelectorAll('.js-plotly-plot')]
            .find(p => (p.layout?.title?.text || '').includes('Pipeline runs'));
        return plot && plot.data.length === 1 && plot.data[0].name === 'Failed';
    }""", timeout=60_000)
    tab.wait_idle()
    _clean(tab)
