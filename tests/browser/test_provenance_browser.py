"""The provenance graph in headless Chromium at 1440x900, on the demo workspace: its labels are legible at the
default zoom, it fills its column with column and model headings and no buttons over the boxes, and a click on
a snapshot shows its details in plain language.

The graph is vis-network inside the streamlit-agraph iframe. The component keeps the network object in
React state, so the checks reach it through the React fiber of the network's container and read its
zoom (``getScale``), its nodes' font sizes and their boxes (``getBoundingBox`` and ``canvasToDOM``).
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

VIEWPORT = {"width": 1440, "height": 900}
MAIN = '[data-testid="stMain"]'
GRAPH = 'iframe[title="streamlit_agraph.agraph"]'
MIN_LABEL_PX = 11
COLUMNS = ["Pipeline runs", "Data", "Training", "Model version", "Scoring batches", "Drift snapshots"]

# The vis-network object of the component, found through the React fiber of the element around its canvas.
_NETWORK = """
const network = (() => {
    const canvas = document.querySelector('.vis-network');
    for (let el = canvas; el; el = el.parentElement) {
        const key = Object.keys(el).find(k => k.startsWith('__reactInternalInstance$') || k.startsWith('__reactFiber$'));
        for (let fiber = key ? el[key] : null; fiber; fiber = fiber.return)
            for (let hook = fiber.memoizedState; hook && typeof hook === 'object' && 'next' in hook; hook = hook.next)
                if (hook.memoizedState && typeof hook.memoizedState.getScale === 'function') return hook.memoizedState;
    }
    return null;
})();
"""
_VIEW = _NETWORK + """
if (!network || !network.body.nodeIndices.length) return null;
const boxes = network.body.nodeIndices.filter(id => !String(id).startsWith('heading:'));
const dom = id => {
    const b = network.getBoundingBox(id);
    const a = network.canvasToDOM({x: b.left, y: b.top}), z = network.canvasToDOM({x: b.right, y: b.bottom});
    return {id: String(id), left: a.x, top: a.y, right: z.x, bottom: z.y};
};
return {
    scale: network.getScale(),
    fonts: boxes.map(id => network.body.nodes[id].options.font.size),
    headings: network.body.nodeIndices.filter(id => String(id).startsWith('heading:'))
        .map(id => ({id: String(id), text: network.body.nodes[id].options.label})),
    boxes: boxes.map(dom),
    canvas: {width: network.canvas.frame.canvas.clientWidth, height: network.canvas.frame.canvas.clientHeight},
};
"""


def _graph_frame(page):
    page.locator(GRAPH).wait_for(timeout=60_000)
    return page.locator(GRAPH).element_handle().content_frame()


def _view(page) -> dict:
    """The network's zoom, box fonts, headings and boxes (DOM pixels inside the iframe), once the drawing has settled."""
    frame = _graph_frame(page)
    frame.wait_for_function(f"() => {{ {_VIEW} }}", timeout=60_000)
    page.wait_for_timeout(500)  # vis-network fits the drawing on the next animation frames
    return frame.evaluate(f"() => {{ {_VIEW} }}")


def _shoot(page, artifacts, name: str) -> None:
    folder = artifacts / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))


def _open(app_page) -> dict:
    app_page.page.set_viewport_size(VIEWPORT)
    app_page.open("/provenance", "Provenance")
    return _view(app_page.page)


def _clean(app_page) -> None:
    assert not app_page.exceptions(), app_page.exceptions()
    assert not app_page.errors, app_page.errors


def test_default_view_is_legible_and_fills_its_column(app_page, artifacts):
    view = _open(app_page)
    page = app_page.page
    _shoot(page, artifacts, "provenance-default")

    # One model by default, its newest batches one by one and the older ones folded into a summary box.
    chosen = page.get_by_test_id("stMultiSelect").inner_text()
    assert "loan_default" in chosen and "store_demand" not in chosen
    ids = [b["id"] for b in view["boxes"]]
    assert "summary:loan_default" in ids and sum(i.startswith("batch:") for i in ids) == 6

    # The rendered label height: the box font (canvas pixels) times the zoom vis-network fitted the drawing at.
    label_px = view["scale"] * min(view["fonts"])
    print(f"zoom {view['scale']:.3f} x font {min(view['fonts'])} px = label height {label_px:.1f} px")
    assert label_px >= MIN_LABEL_PX, f"labels are {label_px:.1f} px tall at the default zoom"

    # The canvas fills the main column.
    column = page.evaluate("""() => {
        const el = document.querySelector('[data-testid="stMainBlockContainer"]');
        const s = getComputedStyle(el);
        return el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    }""")
    assert page.locator(GRAPH).bounding_box()["width"] >= 0.98 * column
    assert view["canvas"]["width"] >= 0.98 * column

    # Column headings and the model's band heading are drawn in the graph; no navigation buttons over the boxes.
    texts = [h["text"] for h in view["headings"]]
    assert [t for t in texts if t in COLUMNS] == COLUMNS and "Model loan_default" in texts
    assert _graph_frame(page).locator(".vis-navigation").count() == 0

    # Every box is on the canvas and no two boxes overlap.
    boxes = view["boxes"]
    width, height = view["canvas"]["width"], view["canvas"]["height"]
    assert all(b["left"] >= 0 and b["top"] >= 0 and b["right"] <= width and b["bottom"] <= height for b in boxes)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] or b["bottom"] <= a["top"]
            assert apart, (a, b)
    _clean(app_page)


def test_a_click_on_a_snapshot_shows_its_details_in_plain_language(app_page, artifacts):
    view = _open(app_page)
    page = app_page.page
    snapshot = [b for b in view["boxes"] if b["id"].startswith("snapshot:")][-1]  # the newest: the demo drifted by then
    page.locator(GRAPH).scroll_into_view_if_needed()  # the page scrolls smoothly: let it settle before clicking
    page.wait_for_timeout(800)
    canvas = page.frame_locator(GRAPH).locator("canvas").first
    canvas.click(position={"x": (snapshot["left"] + snapshot["right"]) / 2, "y": (snapshot["top"] + snapshot["bottom"]) / 2})

    heading = page.locator(f"{MAIN} h3").filter(has_text="Snapshot:")
    heading.first.wait_for(timeout=60_000)
    panel = page.locator(MAIN).get_by_text(re.compile(r"Status: drifted"))
    panel.first.wait_for(timeout=60_000)
    app_page.wait_idle()
    assert snapshot["id"].split("/", 1)[1] in heading.first.inner_text()

    text = page.locator(MAIN).inner_text()
    assert "Drift detected" in text and "features drifted" in text and "Drifted features:" in text
    assert re.search(r"\b20\d\d-\d\d-\d\d \d\d:\d\d UTC\b", text), "times read as dates, not ISO timestamps"
    assert "Linked to" in text and "Scoring batch" in text
    raw = page.locator(MAIN).get_by_test_id("stExpander").filter(has_text="Raw record")
    assert raw.count() == 1 and not raw.locator('[data-testid="stDataFrame"]').first.is_visible()  # folded away

    after = _view(page)
    assert after["scale"] * min(after["fonts"]) >= MIN_LABEL_PX
    page.locator(f"{MAIN} h3").filter(has_text="Snapshot:").first.scroll_into_view_if_needed()
    page.set_viewport_size({"width": VIEWPORT["width"], "height": 1800})  # the graph and the details in one picture
    page.locator(MAIN).evaluate("el => el.scrollTo(0, 0)")
    page.wait_for_timeout(500)
    _shoot(page, artifacts, "provenance-snapshot")
    _clean(app_page)


_EDGES = _NETWORK + """
if (!network) return null;
const edges = network.body.data.edges.get();
return {edges: edges.length, marked: edges.filter(e => e.width === 3).length, drawing: window.__drawing || null};
"""


def _click_box(page, box: dict) -> None:
    """Click the middle of a box of the graph and wait until the page shows it selected, with its details."""
    page.locator(GRAPH).scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # the page scrolls smoothly: let it settle before clicking
    canvas = page.frame_locator(GRAPH).locator("canvas").first
    canvas.click(position={"x": (box["left"] + box["right"]) / 2, "y": (box["top"] + box["bottom"]) / 2})
    page.wait_for_function("""name => {
        const node = document.querySelector('[data-testid="stSelectbox"] input[aria-label="Node"]');
        return node && node.value.includes(name) && !document.querySelector('[data-stale="true"]');
    }""", arg=box["id"].split("/", 1)[1], timeout=60_000)
    assert box["id"].split("/", 1)[1] in page.locator(f"{MAIN} h3").first.inner_text()


def test_clicks_and_trace_back_update_the_drawing_in_place(app_page):
    """A click and a trace-back change the drawing of the running network (the component keeps its iframe and draws
    no edge twice); after a node is picked in the selectbox, a click on the box clicked before selects it again."""
    view = _open(app_page)
    page = app_page.page
    older, newer = [b for b in view["boxes"] if b["id"].startswith("snapshot:")][-2:]
    _graph_frame(page).evaluate("() => { window.__drawing = 'first'; }")  # gone if the iframe is loaded anew
    before = _graph_frame(page).evaluate(f"() => {{ {_EDGES} }}")

    _click_box(page, newer)
    _click_box(page, older)
    app_page.wait_idle()
    assert page.get_by_role("combobox", name="Node").input_value().startswith("Snapshot")
    page.locator(MAIN).get_by_role("button", name="Trace back", exact=True).click()
    page.locator(f"{MAIN} h3").filter(has_text="Trace back from").first.wait_for(timeout=60_000)
    app_page.wait_idle()
    frame = _graph_frame(page)
    frame.wait_for_function(f"() => {{ const s = (() => {{ {_EDGES} }})(); return s && s.marked > 0; }}",
                            timeout=30_000)
    after = frame.evaluate(f"() => {{ {_EDGES} }}")
    assert after["drawing"] == "first", "the graph's iframe was loaded anew"
    assert after["edges"] == before["edges"] and after["marked"] > 0
    traced = page.locator(f"{MAIN} h3").filter(has_text="Trace back from").first.inner_text()
    assert older["id"].split("/", 1)[1] in traced

    page.get_by_role("combobox", name="Node").click()
    page.keyboard.type("Pipeline run")
    page.locator('[role="listbox"] [role="option"]').first.click()
    page.locator(f"{MAIN} h3").filter(has_text="Pipeline run:").first.wait_for(timeout=60_000)
    app_page.wait_idle()
    _click_box(page, next(b for b in _view(page)["boxes"] if b["id"] == older["id"]))  # a new drawing: where it is now
    _clean(app_page)
