"""The real server: health endpoint and page content with both demo models."""

import urllib.request

import pytest

pytestmark = pytest.mark.slow


def test_health_endpoint(live_app):
    with urllib.request.urlopen(f"{live_app}/_stcore/health", timeout=5) as r:
        assert r.status == 200 and r.read().decode().strip() == "ok"


@pytest.mark.browser
def test_home_page_lists_both_demo_models(live_app, browser):
    page = browser.new_page()
    try:
        page.goto(live_app, wait_until="domcontentloaded")
        page.get_by_text("All models").wait_for(timeout=60_000)
        selector = page.get_by_role("combobox", name="Model")
        assert selector.input_value() == "loan_default"
        selector.click()
        options = page.locator('[role="option"]')
        options.first.wait_for(timeout=10_000)
        assert {"loan_default", "store_demand"} <= {t.strip() for t in options.all_inner_texts()}
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()
