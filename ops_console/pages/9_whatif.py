"""What-if (もしも): simulate Mitsugi days with another fleet, hours or rules and compare KPIs.

Runs :func:`dispatcher.sim.runner.run_day` in this process (the production engine on a temporary
SQLite file and the real road network); tables and plots come from :mod:`dispatcher.sim.report`.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from dispatcher.services import load_service
from dispatcher.sim.report import kpi_figure, summarise
from dispatcher.sim.runner import SHIFT_PATTERNS, Scenario, run_day

st.title("もしもシミュレーション / What-if")
st.caption("車両数・勤務・運行時間・迎車時間幅・最大乗車時間を変えて1日を模擬し、指標を比べます。"
           " Simulates service days with other settings and compares the KPIs (about 15 s per day).")

with st.form("whatif"):
    col1, col2, col3 = st.columns(3)
    fleet = col1.number_input("車両数 / vehicles", 1, 10, 3)
    shifts = col1.selectbox("勤務 / shifts", SHIFT_PATTERNS)
    hours = col2.text_input("運行時間 / hours", "08:00-17:00")
    window = col2.number_input("迎車時間幅（分） / window (min)", 5, 30, 10)
    ride_factor = col3.number_input("最大乗車倍率 / ride factor", 1.0, 3.0, 1.6, 0.1)
    seeds = col3.number_input("日数（シード） / days (seeds)", 1, 5, 1)
    run = st.form_submit_button("実行 / Run")

if run:
    service = load_service("mitsugi")

    @st.cache_resource
    def network():  # type: ignore[no-untyped-def]
        """The road network, loaded once per console process."""
        from routing.network import load_network

        return load_network("mitsugi")

    variant = Scenario("variant", fleet_size=int(fleet), shifts=shifts, hours=hours,
                       window_min=int(window), ride_factor=float(ride_factor))
    rows = []
    bar = st.progress(0.0)
    work = Path(tempfile.mkdtemp(prefix="noriai-whatif-"))
    jobs = [(sc, s) for sc in (Scenario("base"), variant) for s in range(int(seeds))]
    for i, (sc, seed) in enumerate(jobs):
        r = run_day(service, network(), work, scenario=sc, seed=seed, day=date(2027, 1, 13))
        rows.append(r.row())
        bar.progress((i + 1) / len(jobs))
    st.dataframe(pd.DataFrame(summarise(rows)).set_index("scenario").T)
    st.pyplot(kpi_figure(rows))
