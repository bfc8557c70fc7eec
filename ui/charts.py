"""A chart with its words: every Plotly figure drawn with its text alternative, so that nothing
the lesson shows is a picture only (WCAG 1.1.1), the same words under any other chart (`words_under`),
and pictures with theirs (`tiles`)."""

import pandas as pd
import streamlit as st

from fmnist_core.figures import FigureText, ImageTiles
from fmnist_core.figures.text import text_of
from ui.text import plain


def chart(fig, *, where=st, key: str | None = None, words: str | None = None,
          table_label: str = "The chart's numbers, as a table") -> None:
    """`fig` in `where`, named for screen readers, with its summary as a caption under it (or
    `words`, when the page says more) and its numbers, when it has any, in a table."""
    text = text_of(fig)
    where.plotly_chart(fig, key=key, alt=text.name)
    words_under(text, where=where, words=words, table_label=table_label)


def words_under(text: FigureText, *, where=st, words: str | None = None,
                table_label: str = "The chart's numbers, as a table") -> None:
    """What a chart shows, under it: its summary (or `words`) as a caption, and its numbers, when it
    has any, in a table."""
    where.caption(words if words is not None else plain(text.summary))
    if text.rows:
        with where.expander(table_label):
            st.table(pd.DataFrame(text.rows), hide_index=True, alt=text.name)


def tiles(pictures: ImageTiles, *, where=st) -> None:
    """Each picture with its caption under it and its description for screen readers, in a row
    that wraps to the width of `where`."""
    with where.container(horizontal=True, gap="small"):
        for png, caption, description in zip(pictures.pngs, pictures.captions,
                                              pictures.descriptions, strict=True):
            st.image(png, caption=plain(caption), width=pictures.width_px, alt=description,
                     output_format="PNG")
