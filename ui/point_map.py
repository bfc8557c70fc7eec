"""The map of what the network learned, drawn in the browser by a component of the app's own
(`point_map.js` and `point_map.css` beside this file; Streamlit's components v2, no iframe): two maps
of 2,000 SVG points each, a hover label with each point's image, and a click that chooses a point.

Plotly drew the same map 2.6–3.6 s after a fresh page load, once its 4.7 MB of JavaScript was
evaluated; this component draws it 1.1–1.6 s after (`python -m benchmarks.inside_map`, README).
It is not isolated in a shadow root, which cost it one more render before its code ran: its CSS is
scoped under `.point-map` instead.
"""

from pathlib import Path

import streamlit as st

from fmnist_core.figures.map import PointMaps
from ui.charts import words_under

HERE = Path(__file__).parent
_point_map = st.components.v2.component("fmnist_point_map", js=(HERE / "point_map.js").read_text(),
                                        css=(HERE / "point_map.css").read_text(), isolate_styles=False)


def load_point_map() -> None:
    """The map component mounted empty in the sidebar, before the page works anything out, so that its
    code (Streamlit's and ours) is loaded before the map arrives. Without it a fresh page load fetched
    that code while Plotly's 4.7 MB of JavaScript, asked for by the charts under the map, was fetched
    too; when Plotly's came first, the map waited for it to be evaluated (2.3–3.0 s to the map drawn
    in 2 of 5 loads, against 1.3–1.4 s; measured with `benchmarks.inside_map`)."""
    with st.sidebar:
        _point_map(data=None, key="load_point_map")


def point_map(maps: PointMaps, *, key: str, chosen: int | None, on_choose) -> None:
    """`maps` drawn with their words under them, the test image `chosen` ringed. A click on a point
    reruns the page with its test-image number under `key` ("chosen"), calling `on_choose` first."""
    _point_map(data={**maps.data, "chosen": chosen}, key=key, on_chosen_change=on_choose)
    words_under(maps.text)
