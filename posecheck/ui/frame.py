"""The app's frame: page config, sidebar branding and navigation, shared by every page."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from posecheck.ui.widgets import GENERAL_SAFETY

APP_TITLE = "posecheck"
TAGLINE = "Form checks, rep counts and hold timers for hip-flexor and mobility exercises. Runs offline."
# The page icon is a file the app serves itself: a ":material/...:" page icon makes the browser fetch an SVG
# from fonts.gstatic.com (Streamlit's favicon for those), and the app must never reach the internet.
ICON = Path(__file__).with_name("assets") / "icon.png"


def run(pages: Sequence[StreamlitPage]) -> None:
    """Draw the frame around the chosen page and run it."""
    st.set_page_config(page_title=APP_TITLE, page_icon=str(ICON), layout="wide",
                       initial_sidebar_state="expanded")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    page = st.navigation(list(pages), position="sidebar")
    with st.sidebar:
        st.markdown(f"## :material/accessibility_new: {APP_TITLE}")
        st.caption(TAGLINE)
        st.divider()
        st.caption(" ".join(GENERAL_SAFETY) + " See a professional for injuries.")
    page.run()
