"""Text a learner typed (a nickname), shown exactly as typed inside Streamlit's markdown."""

import re

# Markdown's and Streamlit's own syntax: emphasis, links, code, maths ($), HTML, :directives[…].
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&])")


def plain(text: str) -> str:
    """`text` for st.markdown and friends: every character that could start markup escaped."""
    return _SPECIAL.sub(r"\\\1", text)
