"""Images as charts and as pictures: a mosaic of images with captions (`image_grid`), the same as PNG
tiles where nothing needs a chart (`image_tiles`), one image with its pixels' values
(`image_heatmap`), and a histogram of pixel values (`pixel_histogram`).

Only numpy, plotly and Pillow here (no TensorFlow), so pages that only show data open fast.
"""

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from PIL import Image

import fmnist_core.figures.text as figure_text
from fmnist_core.figures.style import CAPTION_SIZE, PIXEL_COLORSCALE, RUN_COLOURS, styled
from fmnist_core.figures.text import attach
from fmnist_core.lesson.words import count

# Mosaic geometry. GAP (in image pixels) separates tiles and leaves room for frames;
# captions are sized in screen pixels, so they fit whatever the image scale.
GAP = 4
FRAME_OFFSET = 1  # frames sit this far (in image pixels) outside the image
CAPTION_LINE_PX = 19
CAPTION_PAD_PX = 8  # above and below a caption, clear of any frame
NOMINAL_WIDTH_PX = 700  # about Streamlit's content width, so the grid is not squeezed
MAX_IMAGE_PX = 140  # an image never grows beyond 140 screen pixels (a 28-pixel one: 5 a pixel)
# Tiles (`image_tiles`): a 28-pixel image 84 screen pixels wide, drawn at twice that in its PNG
# (each pixel a 6×6 block) so that it stays crisp on HiDPI screens and projectors.
TILE_PIXEL_PX = 3
TILE_PNG_PX = 2 * TILE_PIXEL_PX


def _image_axes(fig: go.Figure, *, ticks: bool) -> None:
    """Make the axes show an image: square pixels, row 0 on top."""
    both = dict(showgrid=False, zeroline=False, showticklabels=ticks, constrain="domain")
    fig.update_xaxes(**both)
    fig.update_yaxes(**both, autorange="reversed", scaleanchor="x")


@dataclass(frozen=True)
class GridLayout:
    """Where each image of a mosaic sits, in mosaic pixels."""

    count: int
    columns: int
    image_shape: tuple[int, int]
    caption_height: int

    @classmethod
    def fit(cls, images_shape: tuple[int, ...], captions: Sequence[str], columns: int) -> "GridLayout":
        """Lay out images of shape (n, h, w), with room for the tallest caption."""
        count, *image_shape = images_shape
        columns = max(1, min(columns, count))
        probe = cls(count, columns, tuple(image_shape), caption_height=0)
        # Captions may hold <br> line breaks.
        lines = 1 + max((caption.count("<br>") for caption in captions), default=0)
        caption_px = 2 * CAPTION_PAD_PX + lines * CAPTION_LINE_PX
        return cls(count, columns, tuple(image_shape), math.ceil(caption_px / probe.pixel_px))

    @property
    def rows(self) -> int:
        """Rows of images (not of pixels)."""
        return math.ceil(self.count / self.columns)

    @property
    def shape(self) -> tuple[int, int]:
        """The mosaic's (height, width) in pixels, gaps and caption room included."""
        height, width = self.image_shape
        return (
            GAP + self.rows * (height + self.caption_height),
            GAP + self.columns * (width + GAP),
        )

    @property
    def pixel_px(self) -> float:
        """Screen pixels per image pixel when the grid is drawn at the nominal width."""
        return min(MAX_IMAGE_PX / max(self.image_shape), NOMINAL_WIDTH_PX / self.shape[1])

    def origin(self, index: int) -> tuple[int, int]:
        """Mosaic (row, column) of the top-left pixel of image `index`."""
        row, column = divmod(index, self.columns)
        height, width = self.image_shape
        return GAP + row * (height + self.caption_height), GAP + column * (width + GAP)


def _mosaic(images: np.ndarray, captions: Sequence[str], grid: GridLayout):
    """Lay images out on one NaN-separated canvas, with each pixel's caption for hover."""
    height, width = grid.image_shape
    # float32 halves what the browser is sent, and NaN still marks the gaps.
    canvas = np.full(grid.shape, np.nan, dtype=np.float32)
    hover = np.full(grid.shape, "", dtype=object)
    for index, (image, caption) in enumerate(zip(images, captions, strict=True)):
        top, left = grid.origin(index)
        canvas[top : top + height, left : left + width] = image
        hover[top : top + height, left : left + width] = caption
    return canvas, hover


def image_grid(
    images: np.ndarray,
    captions: Sequence[str],
    *,
    columns: int = 10,
    colorscale: str = PIXEL_COLORSCALE,
    zmin: float | None = None,
    zmax: float | None = None,
    zmid: float | None = None,
    show_scale: bool = False,
) -> go.Figure:
    """Draw images (n, h, w) as one crisp mosaic heatmap with a caption under each."""
    images = np.asarray(images)
    grid = GridLayout.fit(images.shape, captions, columns)
    canvas, hover = _mosaic(images, captions, grid)
    fig = go.Figure(
        go.Heatmap(
            z=canvas,
            text=hover,
            # Heatmaps are smoothed by default; pixel squares are what the model sees.
            zsmooth=False,
            hoverongaps=False,
            hovertemplate="%{text}<br>value %{z:.3~g}<extra></extra>",
            colorscale=colorscale,
            zmin=zmin,
            zmax=zmax,
            zmid=zmid,
            showscale=show_scale,
        )
    )
    height, width = grid.image_shape
    for index, caption in enumerate(captions):
        top, left = grid.origin(index)
        fig.add_annotation(
            x=left + (width - 1) / 2,
            y=top + height - 0.5,
            yshift=-CAPTION_PAD_PX,
            yanchor="top",
            text=caption,
            showarrow=False,
            font_size=CAPTION_SIZE,
        )
    _image_axes(fig, ticks=False)
    rows, _ = grid.shape
    attach(fig, f"{count(len(captions), 'image')} in a grid", figure_text.images(captions))
    return styled(fig, round(rows * grid.pixel_px) + 20, margin=dict(l=10, r=10, t=10, b=10))


@dataclass(frozen=True)
class ImageTiles:
    """Images drawn once as PNG pictures, to be shown side by side, each with its caption as text
    under it and a sentence describing it (its alt text)."""

    pngs: tuple[bytes, ...]
    captions: tuple[str, ...]
    descriptions: tuple[str, ...]
    width_px: int  # each picture's width on screen


def image_tiles(images: np.ndarray, captions: Sequence[str]) -> ImageTiles:
    """Images (n, h, w) as pictures, dark on white like `image_grid`'s mosaic (plt.cm.binary),
    with the same shades: one scale from the lowest to the highest value of all of them.

    No chart to build, send and draw: as Plotly mosaics, Explore's 30 samples and 10 class means
    took 0.25 s to build and were 805 KB of the page's 851 KB (hover text for every pixel).
    """
    images = np.asarray(images, dtype=np.float32)
    if len(images) != len(captions):
        raise ValueError(f"image_tiles needs one caption per image: {len(images)} images, "
                         f"{len(captions)} captions.")
    low, high = (float(np.nanmin(images)), float(np.nanmax(images))) if images.size else (0, 1)
    shades = 255 - np.rint(255 * (images - low) / ((high - low) or 1)).astype(np.uint8)
    blocks = shades.repeat(TILE_PNG_PX, axis=1).repeat(TILE_PNG_PX, axis=2)  # crisp squares
    return ImageTiles(
        pngs=tuple(_png(block) for block in blocks),
        captions=tuple(captions),
        descriptions=tuple(figure_text.image(image, caption, PIXEL_COLORSCALE)
                           for image, caption in zip(images, captions, strict=True)),
        width_px=images.shape[-1] * TILE_PIXEL_PX,
    )


def _png(grey: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(grey).save(out, format="PNG")  # uint8 (h, w): 8-bit grey
    return out.getvalue()


def _cell_format(values: np.ndarray) -> str:
    """Whole numbers for raw 0–255 pixels, one decimal for 0–1 ones, so values fit a cell."""
    return ".0f" if np.nanmax(np.abs(values)) > 1 else ".1f"


def image_heatmap(
    image: np.ndarray,
    title: str,
    *,
    show_values: bool = False,
    colorscale: str = PIXEL_COLORSCALE,
) -> go.Figure:
    """Show one image with every pixel's value on hover and a colour bar (plt.colorbar)."""
    image = np.asarray(image)
    fig = go.Figure(
        go.Heatmap(
            z=image,
            zsmooth=False,
            colorscale=colorscale,
            colorbar_title_text="value",
            hovertemplate="x %{x}, y %{y}<br>value %{z:.4~g}<extra></extra>",
            texttemplate=f"%{{z:{_cell_format(image)}}}" if show_values else None,
            # Projector-sized values need ~25 px per cell: a column of ~750 px or more.
            textfont_size=13,
        )
    )
    _image_axes(fig, ticks=True)
    attach(fig, title, figure_text.image(image, title, colorscale))
    return styled(
        fig,
        900 if show_values else 560,
        title_text=title,
        margin=dict(l=40, r=20, t=60, b=40),
    )


def pixel_histogram(image: np.ndarray, *, normalised: bool) -> go.Figure:
    """Histogram of pixel values, on the 0–1 scale after normalising or 0–255 before."""
    grey_level = 1 / 255 if normalised else 1  # one step of the raw 0–255 scale
    axis_title = "pixel value (0–1, divided by 255)" if normalised else "pixel value (0–255, raw)"
    fig = go.Figure(
        go.Histogram(
            x=np.asarray(image).ravel(),
            # 32 bins of 8 grey levels on either scale, so both histograms look alike;
            # the last bin ends past 255 so that white pixels are counted.
            xbins=dict(start=0, end=256 * grey_level, size=8 * grey_level),
            marker_color=RUN_COLOURS[0],
            hovertemplate="%{x}: %{y} pixels<extra></extra>",
        )
    )
    fig.update_xaxes(title_text=axis_title, range=[0, 256 * grey_level])
    fig.update_yaxes(title_text="number of pixels")
    attach(fig, f"Histogram of {axis_title}", figure_text.pixel_values(image, normalised=normalised))
    return styled(fig, 380, bargap=0.05, margin=dict(l=60, r=20, t=20, b=60))
