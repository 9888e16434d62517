"""Every page enforces sign-in itself: started as plain `streamlit run streamlit_app.py`, with login configured,
a page asked for directly (before anyone opened `/`) shows the sign-in page and none of its data."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_login import AUTH, PERSONAS
from tests.servers import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
PAGE_FILES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))
SECRETS = """
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "gate-test-cookie-secret"

[auth.microsoft]
client_id = "00000000-0000-0000-0000-000000000001"
client_secret = "gate-test-client-secret"
server_metadata_url = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000002/v2.0/.well-known/openid-configuration"

[monitor]
personas = "grp-bi=business"
"""
# What any data page would show: the demo's model names and its page titles.
DATA = ("loan_default", "store_demand", "Model health", "Pipelines & data", "Provenance", "Explainability",
        "Models & onboarding")


def _page_alone(page: str, user: dict | None) -> AppTest:
    """Run one page file on its own (no navigation, no entry point), with login configured."""
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=180)
    at.secrets["auth"] = AUTH
    at.secrets["monitor"] = {"personas": PERSONAS}
    if user is not None:
        at.user = user
    at.run()
    return at


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "error", "warning", "info", "success")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts) + "\n" + "\n".join(str(m.label) for m in at.metric)


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_file_calls_the_guard_before_anything_else(page):
    """The first statement after the imports of each file in pages/ is the guard, or the page header whose first
    statement is the guard."""
    import ast

    tree = ast.parse((ROOT / "pages" / page).read_text(encoding="utf-8"))
    body = [node for node in tree.body if not isinstance(node, ast.Import | ast.ImportFrom)
            and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]  # docstring
    first = body[0] if body else None
    call = first.value if isinstance(first, ast.Expr | ast.Assign) else None
    name = call.func.id if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) else None
    if name == "page_header":
        header = next(f for f in ast.parse((ROOT / "ui" / "widgets.py").read_text(encoding="utf-8")).body
                      if isinstance(f, ast.FunctionDef) and f.name == "page_header")
        steps = [n for n in header.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        assert ast.unparse(steps[0]) == "require_access(sys._getframe(1).f_globals.get('__file__'))"
        return
    shown = ast.unparse(first) if first else ""
    assert shown == "require_access(__file__)", f"pages/{page} starts with {shown!r}, not the access guard"


@pytest.mark.parametrize("page", PAGE_FILES)
def test_a_page_run_on_its_own_asks_a_signed_out_visitor_to_sign_in(page):
    at = _page_alone(page, {"is_logged_in": False})
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="sign-in").label == "Sign in with Microsoft"
    shown = _texts(at)
    assert not any(word in shown for word in DATA), shown


@pytest.mark.parametrize("page", [p for p in PAGE_FILES if p not in ("business.py", "alerts.py")])
def test_a_page_run_on_its_own_refuses_a_user_without_its_persona(page):
    at = _page_alone(page, {"is_logged_in": True, "name": "Ada", "groups": ["grp-bi"]})
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "No access"
    assert "MONITOR_PERSONAS" in at.error[0].value
    shown = _texts(at)
    assert not any(word in shown for word in DATA if word != "Model health"), shown


async def _request_page(port: int, page: str) -> list[str]:
    """Open the app's websocket and ask it to run ``page``, as a browser's first message would; return what it sent."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    deltas = []
    async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=None) as ws:
        msg = BackMsg()
        msg.rerun_script.page_name = page
        msg.rerun_script.query_string = ""
        await ws.send(msg.SerializeToString())
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await asyncio.wait_for(ws.recv(), 180))
            kind = reply.WhichOneof("type")
            if kind == "delta":
                deltas.append(str(reply.delta))
            elif kind == "script_finished":
                return deltas


@pytest.mark.slow
def test_plain_streamlit_run_does_not_skip_sign_in_for_a_page_asked_for_first(demo, tmp_path):
    port = free_port()
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS.format(port=port))
    env = {**os.environ, "MONITOR_DEMO": "0"}
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
               "--secrets.files", str(secrets)]
    with open(tmp_path / "app.log", "w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        for page in ("business", "drift", "models"):  # old-style page names of files in pages/
            sent = "\n".join(asyncio.run(_request_page(port, page)))
            assert "Sign in with Microsoft" in sent, page
            assert not any(word in sent for word in DATA), (page, [w for w in DATA if w in sent])
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_the_alerts_page_opens_for_every_persona_but_not_for_a_user_without_one():
    business = _page_alone("alerts.py", {"is_logged_in": True, "name": "Ada", "groups": ["grp-bi"]})
    assert not business.exception and business.title[0].value == "Alerts"
    nobody = _page_alone("alerts.py", {"is_logged_in": True, "name": "Bob", "groups": ["grp-other"]})
    assert nobody.title[0].value == "No access"
