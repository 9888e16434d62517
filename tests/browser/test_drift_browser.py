"""The Drift page in headless Chromium: the headline follows the chosen batch, and the Evidently report
downloads as often as the user clicks."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]
MAIN = '[data-testid="stMain"]'


def _metric(page, label: str) -> str:
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue").first.inner_text()


def _choose(app_page, label: str, option_part: str) -> None:
    page = app_page.page
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option").filter(has_text=option_part).first.click()
    page.wait_for_timeout(200)
    app_page.wait_idle()
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=60_000)


def test_choosing_a_batch_changes_the_headline(app_page, artifacts):
    app_page.open("/drift", "Drift")
    page = app_page.page
    page.get_by_test_id("stMetric").filter(has_text="Dataset drift").wait_for(timeout=60_000)
    latest_day, latest_verdict = _metric(page, "Batch"), _metric(page, "Dataset drift")
    assert latest_verdict == "DRIFT"  # the demo drifts from week 7
    _choose(app_page, "Batch", "-w03-")
    assert _metric(page, "Dataset drift") == "no drift"
    assert _metric(page, "Batch") != latest_day
    assert _metric(page, "Drifted features").startswith("0 /")
    folder = artifacts / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "drift-batch-w03.png"), full_page=True)
    assert not app_page.exceptions(), app_page.exceptions()


def test_the_evidently_report_downloads_twice(app_page, tmp_path):
    app_page.open("/drift", "Drift")
    page = app_page.page
    page.get_by_role("tab", name="Evidently report").click()  # tabs run only when opened
    app_page.wait_idle()
    build = page.get_by_role("button", name="Build the Evidently report for this batch")
    build.scroll_into_view_if_needed()
    build.click()
    download = page.get_by_role("button", name="Download the Evidently report (HTML)")
    download.wait_for(timeout=180_000)
    app_page.wait_idle()
    for attempt in (1, 2):
        with page.expect_download(timeout=60_000) as info:
            page.get_by_role("button", name="Download the Evidently report (HTML)").click()
        saved = tmp_path / f"report-{attempt}.html"
        info.value.save_as(saved)
        text = saved.read_text(encoding="utf-8")
        assert "Dataset drift" in text and "detected" in text
        app_page.wait_idle()
        assert page.get_by_role("button", name="Download the Evidently report (HTML)").is_visible()
    assert not app_page.exceptions(), app_page.exceptions()
