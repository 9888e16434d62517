"""MLOps Monitor: page config, optional login, navigation by persona. Nothing else."""

import streamlit as st

st.set_page_config(page_title="MLOps Monitor", page_icon="📈", layout="wide")

PAGES = {
    "Business": [
        st.Page("pages/business.py", title="Model health", icon="🩺", url_path="health", default=True),
    ],
    "Data engineering": [
        st.Page("pages/data_engineer.py", title="Pipelines & data", icon="🛠️", url_path="pipelines"),
    ],
    "Data science": [
        st.Page("pages/drift.py", title="Drift", icon="📉", url_path="drift"),
        st.Page("pages/explain.py", title="Explainability", icon="🔍", url_path="explain"),
        st.Page("pages/provenance.py", title="Provenance", icon="🕸️", url_path="provenance"),
        st.Page("pages/models.py", title="Models & onboarding", icon="🧩", url_path="models"),
    ],
}

st.navigation(PAGES).run()
