"""Every page of the real app in headless Chromium, on the demo workspace.

Each page must finish running without a Streamlit exception box or a console error, show its content,
react to the model selector, and leave a screenshot in test-artifacts/screenshots/. Tables are drawn on
a canvas, so the checks read headings, metrics and widget values.
"""

from __future__ import annotations

import re

import pytest

from monitor.lineage import KIND_LABELS, STATUS_COLORS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PAGES = [
    ("/", "Model health"),
    ("/health", "Model health"),
    ("/pipelines", "Pipelines & data"),
    ("/performance", "Performance"),
    ("/drift", "Drift"),
    ("/explain", "Explainability"),
    ("/provenance", "Provenance"),
    ("/models", "Models & onboarding"),
    ("/alerts", "Alerts"),
]
WITH_MODEL_PICKER = ["/health", "/pipelines", "/performance", "/drift", "/explain"]
MAIN = '[data-testid="stMain"]'
GRAPH = 'iframe[title="streamlit_agraph.agraph"]'


def _shoot(app_page, artifacts, name: str) -> None:
    folder = artifacts / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page = app_page.page
    # The run is over, but charts and metrics are still drawing: let the placeholders go first.
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=30_000)
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every(p => p.querySelector('.main-svg'))",
                           timeout=30_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _clean(app_page) -> None:
    assert not app_page.exceptions(), app_page.exceptions()
    assert not app_page.errors, app_page.errors


def _picker(page, label: str):
    """A selectbox (an ARIA combobox whose value is its input's value)."""
    return page.get_by_role("combobox", name=label, exact=True)


@pytest.mark.parametrize(("path", "title"), PAGES, ids=[p.strip("/") or "root" for p, _ in PAGES])
def test_page_renders_without_errors(app_page, artifacts, path, title):
    app_page.open(path, title)
    page = app_page.page
    content = page.locator(f'{MAIN} [data-testid="stMetric"], {MAIN} [data-testid="stDataFrame"], '
                           f'{MAIN} [data-testid="stPlotlyChart"], {MAIN} {GRAPH}')
    content.first.wait_for(timeout=60_000)
    assert page.locator(f"{MAIN} h1").first.inner_text().strip() == title
    if path in WITH_MODEL_PICKER or path == "/":
        assert _picker(page, "Model").input_value() == "loan_default"
    elif path == "/provenance":
        chosen = page.get_by_test_id("stMultiSelect").inner_text()
        assert "loan_default" in chosen and "store_demand" not in chosen  # one model by default, readable
    elif path == "/alerts":
        assert page.get_by_role("heading", name="Open alerts").is_visible()
        assert page.get_by_test_id("stMetric").filter(has_text="Open alerts").get_by_test_id("stMetricValue").inner_text() != "0"
    else:
        assert page.get_by_role("heading", name="Onboarded models").is_visible()
    _shoot(app_page, artifacts, path.strip("/") or "root")
    _clean(app_page)


def test_drift_page_shows_the_verdict_and_the_feature_table(app_page):
    app_page.open("/drift", "Drift")
    page = app_page.page
    verdict = page.get_by_test_id("stMetric").filter(has_text="Dataset drift")
    verdict.wait_for(timeout=60_000)
    assert verdict.get_by_test_id("stMetricValue").inner_text() == "DRIFT"  # the latest demo batch drifted
    page.get_by_role("heading", name="Which features drift, and since when").scroll_into_view_if_needed()
    page.locator(f'{MAIN} [data-testid="stDataFrame"]').first.wait_for(timeout=30_000)  # drawn once in view
    _clean(app_page)


@pytest.mark.parametrize("path", WITH_MODEL_PICKER)
def test_model_selector_changes_the_page(app_page, artifacts, path):
    title = dict(PAGES)[path]
    app_page.open(path, title)
    page = app_page.page
    picker = _picker(page, "Model")
    assert picker.input_value() == "loan_default"
    before = page.locator(MAIN).inner_text()

    picker.click()
    page.get_by_role("option", name="store_demand", exact=True).click()
    page.wait_for_function(
        """([main, before]) => {
            const root = document.querySelector('.stApp');
            const text = document.querySelector(main)?.innerText ?? '';
            return root?.getAttribute('data-test-script-state') === 'notRunning' && text !== before
                && !document.querySelector('[data-stale="true"]');
        }""",
        arg=[MAIN, before], timeout=60_000)
    app_page.wait_idle()
    assert _picker(page, "Model").input_value() == "store_demand"
    after = page.locator(MAIN).inner_text()
    assert after != before
    _shoot(app_page, artifacts, f"{path.strip('/')}-store_demand")
    _clean(app_page)


def _red_node_centre(canvas) -> dict[str, float] | None:
    """The centre (CSS pixels) of the first node drawn in the 'drifted' colour, read from the canvas."""
    rgb = [int(STATUS_COLORS["drifted"][i:i + 2], 16) for i in (1, 3, 5)]
    return canvas.evaluate(
        """(cv, rgb) => {
            const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
            const hits = [];
            for (let i = 0; i < d.length; i += 4)
                if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2]) hits.push([(i / 4) % cv.width, Math.floor(i / 4 / cv.width)]);
            if (!hits.length) return null;
            const [x0, y0] = hits[0];
            const blob = hits.filter(([x, y]) => Math.abs(x - x0) < 12 && Math.abs(y - y0) < 12);
            const sx = cv.width / cv.clientWidth, sy = cv.height / cv.clientHeight;
            return {x: blob.reduce((s, p) => s + p[0], 0) / blob.length / sx,
                    y: blob.reduce((s, p) => s + p[1], 0) / blob.length / sy};
        }""", rgb)


def test_provenance_graph_is_drawn_and_a_click_shows_the_node(app_page, artifacts):
    app_page.open("/provenance", "Provenance")
    page = app_page.page
    canvas = page.frame_locator(GRAPH).locator("canvas").first
    canvas.wait_for(timeout=60_000)
    page.wait_for_timeout(500)  # vis-network draws on the next animation frames
    painted = canvas.evaluate("""(cv) => {
        const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) n++;
        return n;
    }""")
    assert painted > 1000, "the provenance graph canvas is blank"
    node_picker = _picker(page, "Node")
    assert node_picker.input_value() == ""

    centre = _red_node_centre(canvas)
    assert centre, "no node in the 'drifted' colour: the demo's drifted snapshots should be red"
    canvas.click(position=centre)
    details = page.locator(f"{MAIN} h3").filter(has_text=":")
    details.first.wait_for(timeout=60_000)
    app_page.wait_idle()
    heading = details.first.inner_text()
    kind = heading.split(":")[0].strip()
    assert kind in KIND_LABELS.values(), heading
    assert heading.split(":", 1)[1].strip() in node_picker.input_value()
    # A click reruns the page once more to redraw the highlighted graph: wait for the details to settle.
    page.locator(MAIN).get_by_text(re.compile(r"Status: (drifted|failed)")).first.wait_for(timeout=60_000)
    _shoot(app_page, artifacts, "provenance-node")
    _clean(app_page)
