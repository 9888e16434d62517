"""Values from data or configuration never become markup or script: the Evidently download, the summary export,
the provenance graph and details, markdown on the pages, CSV downloads."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from monitor.escape import ReportError, csv_safe, inline_code, md, sanitise_evidently_html
from monitor.lineage import Edge, LineageGraph, Node
from ui.graph_layout import to_dot

SCRIPT = "</script><script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
TICK = "risk`model" + IMG


class _Scripts(HTMLParser):
    """Collects the script elements of a page as a browser's parser would see them."""

    def __init__(self):
        super().__init__()
        self.scripts: list[str] = []
        self.tags: list[str] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "script":
            self._in = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in = False

    def handle_data(self, data):
        if self._in:
            self.scripts[-1] += data


def _parse(page: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def reports():
    """The Evidently download for a batch whose category values are markup, and for the same batch without them."""
    from monitor.evidently_report import evidently_html

    rng = np.random.default_rng(0)
    spec = SimpleNamespace(numeric_features=["x"], categorical_features=["c"])
    ref = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(["a", "b"], 300)})
    cur = pd.DataFrame({"x": rng.normal(0.5, 1, 300), "c": rng.choice(["a", "z"], 300)})
    bad = cur.assign(c=cur["c"].map({"a": "a", "z": SCRIPT}))
    bad.loc[:9, "c"] = IMG
    return evidently_html(spec, ref, cur), evidently_html(spec, ref, bad)


def test_evidently_download_runs_no_script_from_the_data(reports):
    clean, hostile = reports
    assert SCRIPT not in hostile and IMG not in hostile
    parsed = _parse(hostile)
    assert len(parsed.scripts) == len(_parse(clean).scripts)  # no element was added by the data
    assert "img" not in parsed.tags
    data = next(s for s in parsed.scripts if re.match(r"\s*var \w+ = ", s))
    first = re.match(r"\s*var \w+ = (.*?);\n\s*var additional_graphs_", data, re.S)[1]
    decoded = json.dumps(json.loads(first))  # the values are all there, only encoded
    assert "alert(1)" in decoded and "onerror=alert(2)" in decoded


def test_an_unexpected_report_shape_is_refused():
    with pytest.raises(ReportError):
        sanitise_evidently_html("<html><script>var x = 1;</script></html>")


def test_markdown_text_is_literal():
    text = md(TICK + " [click](javascript:alert(3)) $x$ :red[y] **b** _i_ # h")
    assert not re.search(r"(?<!\\)[`<>\[\]$*]", text)  # every markup character is escaped
    assert "onerror" in text and "snake_case" in md("snake_case")
    assert md("1. first").startswith("1\\.") and md("- item").startswith("\\-")


def test_inline_code_holds_any_backticks():
    for value in ("plain", "a`b", "``x``", "`", TICK):
        code = inline_code(value)
        fence = re.match(r"`+", code)[0]
        assert code.endswith(fence) and fence not in code[len(fence):-len(fence)]


def test_summary_export_escapes_model_names():
    from monitor.kpis import ModelKpis, Period
    from ui.kpi_tables import business_summary_html

    today = dt.date(2026, 3, 1)
    report = ModelKpis(model=TICK, persona="business", period=Period.from_dates(today - dt.timedelta(days=30), today),
                       as_of="2026-03-01T00:00:00+00:00", kpis=(), message=SCRIPT)
    page = business_summary_html([report], title=IMG)
    assert IMG not in page and SCRIPT not in page
    assert "img" not in _parse(page).tags and not _parse(page).scripts
    assert "risk`model&lt;img src=x onerror=alert(2)&gt;" in page


def _graph() -> LineageGraph:
    node = Node(id='b"1\\x', kind="batch", label=TICK + '"\\', model=TICK, time="2026-03-01T00:00:00+00:00",
                fields={"note": IMG}, url="javascript:alert(4)")
    other = Node(id="v1", kind="model_version", label="v1")
    return LineageGraph(nodes=(other, node), edges=(Edge("v1", node.id, "scored_by"),))


def test_provenance_dot_export_quotes_every_value():
    dot = to_dot(_graph())
    line = next(line for line in dot.splitlines() if "hexagon" in line)
    assert 'label="Scoring batch\\n' + 'risk`model' + IMG + '\\"\\\\"' in line
    assert line.startswith('  "b\\"1\\\\x" [')


def test_provenance_graph_titles_are_escaped_for_the_component():
    from ui.graph import vis_elements

    nodes, _ = vis_elements(_graph())
    title = next(n for n in nodes if n.id.startswith("b")).to_dict()["title"]
    assert "<img" not in title and "&lt;img src=x onerror=alert(2)&gt;" in title


def test_provenance_details_render_values_as_text():
    from streamlit.testing.v1 import AppTest

    def details_page():
        from tests.test_escaping import _graph
        from ui.graph import details

        graph = _graph()
        details(graph.nodes[1], graph)

    at = AppTest.from_function(details_page, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "\\<img" in at.subheader[0].value and "<img" not in at.subheader[0].value.replace("\\<img", "")
    status = at.markdown[0].value
    assert inline_code(TICK) in status  # the model name is a code span, whatever it holds
    assert "<img" not in status.replace(inline_code(TICK), "")
    assert not at.get("link_button")  # a javascript: URL is not offered as a link


def test_csv_downloads_cannot_run_formulas():
    frame = pd.DataFrame({"note": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "fine"], "n": [-1, 2, 3, 4, 5]})
    safe = csv_safe(frame)
    assert safe["note"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "fine"]
    assert safe["n"].tolist() == [-1, 2, 3, 4, 5]  # numbers stay numbers
