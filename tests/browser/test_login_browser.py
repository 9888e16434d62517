"""With login configured, a signed-out visitor of the real server sees only the sign-in page."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.mark.parametrize("path", ["/drift", "/pipelines", "/", "/data_engineer"])
def test_signed_out_visitor_gets_the_sign_in_page(signed_out_page, artifacts, path):
    visitor = signed_out_page
    # The first parameter is the server's very first request: it must not bypass the gate either.
    visitor.open(path, "MLOps Monitor", timeout=60_000)
    page = visitor.page
    page.get_by_role("button", name="Sign in with Microsoft").wait_for(state="visible", timeout=30_000)
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    body = page.locator('[data-testid="stMain"]').inner_text()
    for title in ("Drift", "Pipelines & data", "Model health"):
        assert title not in page.locator('[data-testid="stMain"] h1').all_inner_texts(), body
    if path == "/":
        folder = artifacts / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "sign-in.png"))
    assert not visitor.exceptions()
    # A page the visitor may not see is reported as not found (and the sign-in page runs instead).
    errors = [e for e in visitor.errors if not (path != "/" and "does not seem to exist" in e)]
    assert not errors, errors
