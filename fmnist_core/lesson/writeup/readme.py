"""A README file's bytes as text, for the checker (the page's upload and the command line): any
lesson write-up fits in `README_BYTES`; a file that is not text is refused in one sentence."""

import codecs

README_BYTES = 200_000  # the longest write-up in ../shared/writeups is 7.5 kB


def read_readme(data: bytes) -> str:
    """The text of a README (UTF-8, with or without its mark, or UTF-16 with one); a byte that is
    not UTF-8 becomes �. ValueError when it is too long or not text."""
    if len(data) > README_BYTES:
        raise ValueError(f"This file has {len(data):,} bytes: a write-up has at most "
                         f"{README_BYTES:,} (a lesson's README is a few thousand).")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data:
        raise ValueError("This file is not text: a write-up is a Markdown or text file (README.md).")
    return data.decode("utf-8-sig", errors="replace")
