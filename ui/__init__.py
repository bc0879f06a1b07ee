"""Streamlit helpers shared by the pages (the engine in bgapp/ knows nothing of Streamlit)."""
