"""Alerts: the open alerts routed to the visitor's personas first, then the history; acknowledge, mute, open the cause.

UI selections in st.session_state: ``alerts-personas``, ``alerts-models``, ``alerts-pick``, ``alerts-mute-for``,
``alerts-done`` (the last action's confirmation) and ``model`` (set when opening the page of an alert).
"""

import datetime as dt

import streamlit as st

from monitor.escape import md
from ui import alert_board
from ui.alert_board import MUTE_CHOICES, history_frame, open_frame
from ui.gate import PAGES, access
from ui.widgets import empty_state, page_header

page_header("Alerts", model=False, period=False)
granted = access()
page_files = {p.url_path: p.path for _, pages in PAGES.values() for p in pages}
page_titles = {p.url_path: p.title for _, pages in PAGES.values() for p in pages}
labels = {persona: label for persona, (label, _) in PAGES.items()}

channels = alert_board.channel_names()
if not channels:
    st.info("No alert channel is configured, so alerts are shown here only. Set `MONITOR_ALERT_TEAMS_URL`, "
            "`MONITOR_ALERT_SLACK_URL`, `MONITOR_ALERT_EMAIL_TO` or `MONITOR_ALERT_WEBHOOK_URL` (README, \"Alerts\").",
            icon="ℹ️")
for problem in alert_board.route_problems(channels):
    st.warning(md(problem), icon="⚠️")

c1, c2 = st.columns(2)
with c1:
    personas = st.multiselect("Routed to", list(granted.personas), default=list(granted.personas),
                              format_func=lambda p: labels.get(p, p), key="alerts-personas")
with c2:
    models = st.multiselect("Models", alert_board.alert_models(), key="alerts-models", placeholder="All models")
now = dt.datetime.now(dt.timezone.utc)
shown = alert_board.current_board(personas, models or None, now)

m1, m2, m3, m4 = st.columns(4)
m1.metric("Open alerts", len(shown.open))
m2.metric("Critical", sum(a.state.severity == "critical" for a in shown.open))
m3.metric("Acknowledged", sum(bool(a.acknowledged) for a in shown.open))
m4.metric("Messages waiting for a channel", shown.pending)
if done := st.session_state.pop("alerts-done", None):
    st.success(md(done))

st.subheader("Open alerts")
if not shown.open:
    empty_state("No open alert is routed to the personas chosen above.")
else:
    st.dataframe(open_frame(shown.open), hide_index=True, width="stretch", column_config={
        "page": st.column_config.LinkColumn("page", display_text="Open"),
        "open since": st.column_config.DatetimeColumn("open since", format="YYYY-MM-DD HH:mm"),
        "muted until": st.column_config.DatetimeColumn("muted until", format="YYYY-MM-DD HH:mm")})
    picked = st.selectbox("Alert", range(len(shown.open)), format_func=lambda i: shown.open[i].label, key="alerts-pick")
    alert = shown.open[min(picked or 0, len(shown.open) - 1)]
    who = (st.user.get("name") or st.user.get("email") or "a signed-in user") if granted.signed_in else "an app user"

    def acknowledge() -> None:
        alert_board.acknowledge(alert.state.model, alert.state.key, alert.state.episode or "", who)
        st.session_state["alerts-done"] = f"Acknowledged: {alert.label}."

    def mute() -> None:
        hours = MUTE_CHOICES[st.session_state["alerts-mute-for"]]
        until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours)
        alert_board.mute(alert.state.model, alert.state.key, until, who)
        st.session_state["alerts-done"] = (f"Muted until {until:%Y-%m-%d %H:%M} UTC: {alert.label}. Its messages wait "
                                           "until then, and are dropped if it clears before.")

    def unmute() -> None:
        alert_board.mute(alert.state.model, alert.state.key, None, who)
        st.session_state["alerts-done"] = f"Mute lifted: {alert.label}."

    st.caption(md(alert.state.message))
    b1, b2, b3, b4, b5 = st.columns([1, 1, 1, 1, 1.4])
    b1.button("Acknowledge", on_click=acknowledge, key="alerts-ack", disabled=bool(alert.acknowledged))
    b2.selectbox("Mute for", list(MUTE_CHOICES), key="alerts-mute-for", label_visibility="collapsed")
    b3.button("Mute", on_click=mute, key="alerts-mute")
    b4.button("Unmute", on_click=unmute, key="alerts-unmute", disabled=alert.muted_until is None)
    target = page_files.get(alert.state.page)
    if target and b5.button("Open its page", key="alerts-open"):
        st.session_state["model"] = alert.state.model
        st.switch_page(target)
    where = f"batch {alert.state.batch_id}" if alert.state.batch_id else (
        f"pipeline run {alert.state.run_id}" if alert.state.run_id else "")
    if where:
        st.caption(md(f"Cause: {where}, shown on the {page_titles.get(alert.state.page, alert.state.page)} page."))

st.subheader("History")
if not shown.history:
    empty_state("No alert fired or cleared in the last 90 days for the personas chosen above.")
else:
    st.dataframe(history_frame(shown.history), hide_index=True, width="stretch", column_config={
        "at": st.column_config.DatetimeColumn("at", format="YYYY-MM-DD HH:mm")})
