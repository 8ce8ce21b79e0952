"""What-if (もしも): simulate service days with another fleet, shifts, hours or rules and compare
the indicators with the current settings.

Runs :func:`dispatcher.sim.runner.run_day` in this process (the production engine on a temporary
SQLite file and the shipped service's real road network): the simulation touches no live data.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import streamlit as st

from dispatcher.errors import NoriaiError
from dispatcher.services import load_service
from dispatcher.settings import Settings
from dispatcher.sim.report import COMPARED, summarise
from dispatcher.sim.runner import SHIFT_PATTERNS, Scenario, run_day
from ops_console import ui
from ops_console.charts import whatif_chart
from ops_console.client import ApiError
from ops_console.i18n import tr
from ops_console.tables import parse_hours, whatif_frame

api, lang = ui.page("page_whatif")


def service_id() -> str:
    """The service the console runs (the API's), whose configuration and network are simulated;
    without the API, the one this installation is set up for (``NORIAI_SERVICE``)."""
    try:
        return str(ui.service(api.config.url)["id"])
    except ApiError:
        return os.environ.get("NORIAI_SERVICE") or str(Settings.model_fields["service"].default)

st.caption(tr("whatif_intro", lang))


@st.cache_resource(show_spinner=False)
def network(sid: str):  # type: ignore[no-untyped-def]
    """The service's road network, loaded once per console process."""
    from routing.network import load_network

    return load_network(sid)


with st.form("whatif"):
    c1, c2, c3 = st.columns(3)
    fleet = c1.number_input(tr("wi_fleet", lang), 1, 10, 3, key="wi_fleet")
    shifts = c1.selectbox(tr("wi_shifts", lang), SHIFT_PATTERNS, key="wi_shifts",
                          format_func=lambda s: tr(f"shift_{s}", lang))
    hours = c2.text_input(tr("wi_hours", lang), "08:00-17:00", max_chars=11, key="wi_hours")
    window = c2.number_input(tr("wi_window", lang), 5, 30, 10, key="wi_window")
    ride_factor = c3.number_input(tr("wi_ride_factor", lang), 1.0, 3.0, 1.6, 0.1,
                                  key="wi_ride_factor")
    seeds = c3.number_input(tr("wi_seeds", lang), 1, 5, 1, key="wi_seeds")
    run = st.form_submit_button(tr("wi_run", lang), type="primary")

if run:
    span = parse_hours(hours)
    if span is None:
        st.error(tr("wi_bad_hours", lang))
        st.stop()
    service = load_service(service_id())
    variant = Scenario("variant", fleet_size=int(fleet), shifts=shifts, hours=span,
                       window_min=int(window), ride_factor=float(ride_factor))
    jobs = [(sc, s) for sc in (Scenario("base"), variant) for s in range(int(seeds))]
    bar = st.progress(0.0, text=tr("wi_running", lang))
    work = Path(tempfile.mkdtemp(prefix="noriai-whatif-"))
    rows = []
    try:
        for i, (sc, seed) in enumerate(jobs):
            rows.append(run_day(service, network(service.id), work, scenario=sc, seed=seed).row())
            bar.progress((i + 1) / len(jobs), text=tr("wi_running", lang))
    except NoriaiError as exc:
        st.error(f"{tr('wi_failed', lang)}: {exc.message_ja if lang == 'ja' else exc.message_en}")
        st.stop()
    except ValueError as exc:
        st.error(f"{tr('wi_failed', lang)}: {exc}")
        st.stop()
    bar.empty()
    st.session_state["wi_result"] = summarise(rows)

summary = st.session_state.get("wi_result")
if summary:
    table = whatif_frame(summary, COMPARED, lang)
    st.dataframe(table, hide_index=True, key="wi_table", height=35 * (len(table) + 1) + 3)
    st.altair_chart(whatif_chart(summary, COMPARED, lang), width="stretch", key="wi_chart")
