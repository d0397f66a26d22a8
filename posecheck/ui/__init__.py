"""The Streamlit app: `frame` (title, sidebar, navigation), one module per page, shared `widgets`.

app.py lists the pages; a page is a module with a `render()` function.
"""
