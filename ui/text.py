"""Text in Streamlit's markdown: what a learner typed (a nickname), shown exactly as typed, and
tables of numbers as plain markdown."""


# Markdown's and Streamlit's own syntax: emphasis, links, code, maths ($), HTML, :directives[…].
_SPECIAL = frozenset("\\`*_{}[]()#+-.!|~<>$:&@")
# The page makes a link of a bare address (https://…, www.…, a@b.c) after the markup is read,
# escaped or not: an invisible zero-width space after its ':', '.' and '@' breaks it up.
_BREAKS = frozenset(":.@")


def plain(text: str) -> str:
    """`text` for st.markdown and friends, shown as it is: no markup, no link."""
    return "".join((f"\\{char}" if char in _SPECIAL else char) + ("\u200b" if char in _BREAKS else "")
                   for char in text)


def markdown_table(frame) -> str:
    """A DataFrame's columns (not its index) as a markdown table, whole numbers with thousands
    separators and right-aligned, every cell shown as it is: a plain HTML table drawn with the
    page's own code, where st.table has the browser load ≈ 0.9 MB more (arrowFormatUtils and its
    parts)."""
    whole = [frame[column].dtype.kind in "iu" for column in frame.columns]

    def row(cells) -> str:
        return "| " + " | ".join(cells) + " |"

    lines = [row(plain(str(column)) for column in frame.columns),
             row("---:" if number else "---" for number in whole)]
    lines += [row(f"{value:,}" if number else plain(str(value)) for value, number
                  in zip(values, whole, strict=True)) for values in frame.itertuples(index=False)]
    return "\n".join(lines)
