"""Every colour that carries meaning is readable: at least 4.5:1 against its background (WCAG
1.4.3, the bar for text; large text and graphics need only 3:1) — the theme's text, captions,
links and code, and the figures' right/wrong, runs and reference lines."""

import tomllib

import pytest

from fmnist_core import figures
from tools.server import REPO

TEXT = 4.5
THEME = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())["theme"]
# Streamlit draws captions, help text and slider ticks in the text colour at 60 % opacity
# (its theme's fadedText60), and inline code inside a caption fades with it.
FADED = 0.6


def channels(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def luminance(colour: str) -> float:
    """WCAG's relative luminance of '#rrggbb'."""
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
    red, green, blue = map(linear, channels(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: str, other: str) -> float:
    """WCAG's contrast ratio, from 1 (the same) to 21 (black on white)."""
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def over(colour: str, background: str, opacity: float) -> str:
    """`colour` at `opacity` drawn over `background`, as the browser blends it."""
    return "#" + "".join(f"{round(opacity * a + (1 - opacity) * b):02x}"
                         for a, b in zip(channels(colour), channels(background), strict=True))


def test_contrast_is_wcags():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # WebAIM's classic
    assert over("#000000", "#ffffff", 0.6) == "#666666"


@pytest.mark.parametrize("background", ["backgroundColor", "secondaryBackgroundColor"])
def test_the_themes_text_and_captions_are_readable_on_both_backgrounds(background):
    background = THEME[background]
    assert contrast(THEME["textColor"], background) >= TEXT
    assert contrast(over(THEME["textColor"], background, FADED), background) >= TEXT
    assert contrast(over(THEME["codeTextColor"], background, FADED), background) >= TEXT


def test_the_themes_primary_colour_is_readable_as_links_and_behind_button_labels():
    assert contrast(THEME["primaryColor"], THEME["backgroundColor"]) >= TEXT
    assert contrast("#ffffff", THEME["primaryColor"]) >= TEXT  # a primary button's label


@pytest.mark.parametrize("colour", [figures.CORRECT, figures.WRONG, figures.OTHER, figures.REFERENCE,
                                    figures.POSITIVE, *figures.RUN_COLOURS])
def test_the_figures_meaningful_colours_are_readable_on_white(colour):
    assert contrast(colour, "#ffffff") >= TEXT, colour


def test_runs_differ_in_colour_and_in_marker_shape():
    assert len(set(figures.RUN_COLOURS)) == len(figures.RUN_COLOURS)
    assert len(set(figures.MARKERS)) == len(figures.MARKERS) >= len(figures.RUN_COLOURS)
