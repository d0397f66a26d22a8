"""posecheck's Streamlit entry: the app frame over one page module each (see posecheck/ui/).

Run: streamlit run app.py. Adding a page is one line in PAGES.
"""

import streamlit as st

from posecheck.ui import frame, history, live, review, routine

PAGES = [
    st.Page(review.render, title="Review a clip", icon=":material/video_library:", url_path="review", default=True),
    st.Page(live.render, title="Live coaching", icon=":material/videocam:", url_path="live"),
    st.Page(routine.render, title="Guided routine", icon=":material/checklist:", url_path="routine"),
    st.Page(history.render, title="History", icon=":material/insights:", url_path="history"),
]

frame.run(PAGES)
