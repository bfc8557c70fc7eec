"""A learner's own picture made into a Fashion-MNIST-like input, one visible step at a time.

Fashion-MNIST was made from product photos (Xiao et al. 2017): trimmed to the object, the
longest side resized to 28 pixels, centred on a 28×28 frame, negated (a light object on black)
and stored as 8-bit grey. `preprocess` does the same to an upload (read by `upload.decode`) and
keeps every step, so the learner can see what the model is given.

Only numpy and Pillow here: neither Streamlit nor TensorFlow.
"""

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from fmnist_core.data.upload import FLAT, NO_OBJECT, TRANSPARENT, PictureError, decode

SIDE = 28  # Fashion-MNIST's images are SIDE×SIDE

# Processing: how the background and the object are found, and how each step is shown.
BORDER_FRACTION = 0.02  # the background level is the median of this outer ring (at least 1 px)
FLAT_RANGE = 2  # grey levels: a picture whose pixels span no more than this is one flat colour
OBJECT_CONTRAST = 32  # grey levels: a pixel this far from the background level is the object's
MIN_OBJECT_FRACTION = 0.001  # an object covers at least this share of the picture
CROP_TRIM = 0.005  # the crop ignores this share of the object's pixels on each side (specks)
DISPLAY_SIDE = 280  # each step is shown in a tile this size (28 × 10), at half size on screen


# eq=False: comparing arrays field by field is ambiguous.
@dataclass(frozen=True, eq=False)
class Steps:
    """Each step from the upload to the model's input, as numpy arrays a page can show."""

    grayscale: np.ndarray  # float32 H×W, 0–255: shrunk to WORK_SIDE, transparency filled in
    foreground: np.ndarray  # float32 H×W, 0–255: the object light, the background black (0)
    cropped: np.ndarray  # float32: foreground cut to the object's box
    square: np.ndarray  # float32: cropped, centred on a black square
    small: np.ndarray  # uint8 28×28, 0–255: what the model is given (like Fashion-MNIST's pixels)
    scaled: np.ndarray  # float32 28×28, 0–1: small ÷ 255, as the lesson normalises
    background: float  # grey level of the background found in `grayscale`
    inverted: bool  # whether the object was darker than its background, so everything was negated
    box: tuple[int, int, int, int]  # the crop in `grayscale`: top, bottom, left, right (exclusive)
    source_size: tuple[int, int]  # the upload's width and height, upright
    format: str  # the file format Pillow read: PNG, JPEG, MPO, WEBP, BMP or GIF

    def gallery(self, side: int = DISPLAY_SIDE) -> list[tuple[str, np.ndarray]]:
        """Each step as (caption, RGBA tile to show): see display_image."""
        height, width = self.grayscale.shape
        crop_height, crop_width = self.cropped.shape
        square = self.square.shape[0]
        invert = "negated, background black" if self.inverted else "background black"
        steps = [
            (f"1 · grey, {width}×{height}", self.grayscale),
            (f"2 · {invert}", self.foreground),
            (f"3 · cropped, {crop_width}×{crop_height}", self.cropped),
            (f"4 · padded square, {square}×{square}", self.square),
            (f"5 · resized, {SIDE}×{SIDE}", self.small),
            ("6 · ÷ 255, so 0–1", self.scaled * 255),
        ]
        return [(caption, display_image(image, side)) for caption, image in steps]


def display_image(image: np.ndarray, side: int = DISPLAY_SIDE) -> np.ndarray:
    """A 0–255 image as a side×side RGBA tile to show: fitted inside it and centred, see-through around.

    A small image is enlarged by a whole factor (each pixel a crisp square block); a large one is
    shrunk by averaging. Every tile has the same size, so captions line up whatever the shape.
    """
    pixels = np.asarray(image, dtype=np.float32)
    height, width = pixels.shape
    longest = max(height, width)
    if longest > side:
        size = (max(1, round(width * side / longest)), max(1, round(height * side / longest)))
        pixels = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BOX))
    else:
        factor = side // longest
        pixels = pixels.repeat(factor, axis=0).repeat(factor, axis=1)
    grey = np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
    tile = np.zeros((side, side, 4), dtype=np.uint8)
    height, width = grey.shape
    top, left = (side - height) // 2, (side - width) // 2
    tile[top:top + height, left:left + width, :3] = grey[..., np.newaxis]
    tile[top:top + height, left:left + width, 3] = 255
    return tile


def preprocess(raw: bytes) -> Steps:
    """Turns the bytes of an uploaded picture into a Fashion-MNIST-like 28×28 input.

    Steps: grayscale (transparency filled with the background) → negated if the object is
    darker than its background, and the background level taken to black → cropped to the
    object → padded to a square → resized to 28×28 (aspect kept, area) → scaled to 0–1.

    Raises PictureError, and nothing else, for anything that cannot be used: not a picture,
    damaged, too large or too small, animated, fully transparent, or without an object.
    """
    gray, alpha, source_size, file_format = decode(raw)
    gray, background = flatten(gray, alpha)
    if float(gray.max() - gray.min()) <= FLAT_RANGE:
        raise PictureError(FLAT)
    mask = object_mask(gray, background)
    if mask.sum() < max(1, MIN_OBJECT_FRACTION * mask.size):
        raise PictureError(NO_OBJECT)
    inverted = should_invert(gray, background, mask)
    foreground = to_foreground(gray, background, inverted)
    top, bottom, left, right = box = crop_box(mask)
    cropped = foreground[top:bottom, left:right]
    square = pad_to_square(cropped)
    small = resize(square)
    return Steps(
        grayscale=gray,
        foreground=foreground,
        cropped=cropped,
        square=square,
        small=small,
        scaled=scale(small),
        background=background,
        inverted=inverted,
        box=box,
        source_size=source_size,
        format=file_format,
    )


# ---- The steps, each usable on its own ---------------------------------------------------------


def border(image: np.ndarray) -> np.ndarray:
    """The pixels of the outer ring: BORDER_FRACTION of the shorter side, at least one pixel."""
    width = max(1, round(min(image.shape) * BORDER_FRACTION))
    ring = np.ones(image.shape, dtype=bool)
    ring[width:-width, width:-width] = False
    return image[ring]


def flatten(gray: np.ndarray, alpha: np.ndarray | None) -> tuple[np.ndarray, float]:
    """The picture with its transparency filled in by the background, and that background's level.

    Opaque: the background is the median grey of the border. With transparency: if the border
    is mostly opaque, that too; if it is mostly see-through (a cut-out), the background is
    white behind a dark object and black behind a light one, so the object keeps its contrast.
    """
    if alpha is None:
        return gray, float(np.median(border(gray)))
    if alpha.max() == 0:
        raise PictureError(TRANSPARENT)
    ring_gray, ring_alpha = border(gray), border(alpha)
    opaque = ring_alpha >= 0.5
    if opaque.mean() >= 0.5:
        background = float(np.median(ring_gray[opaque]))
    else:
        object_level = float((gray * alpha).sum() / alpha.sum())
        background = 255.0 if object_level < 128 else 0.0
    filled = gray * alpha + np.float32(background) * (1 - alpha)
    return filled.astype(np.float32), background


def object_mask(gray: np.ndarray, background: float) -> np.ndarray:
    """Where the object is: pixels more than OBJECT_CONTRAST grey levels from the background."""
    return np.abs(gray - np.float32(background)) > OBJECT_CONTRAST


def should_invert(gray: np.ndarray, background: float, mask: np.ndarray) -> bool:
    """Whether the object is, on the whole, darker than its background (e.g. on white paper)."""
    return float((gray[mask] - np.float32(background)).mean()) < 0


def to_foreground(gray: np.ndarray, background: float, inverted: bool) -> np.ndarray:
    """A light object on black, like Fashion-MNIST: negated if need be, the background set to 0.

    Levels are stretched so that the background goes to 0 and white stays 255; what is darker
    than the background (shadows, noise) is clipped to 0.
    """
    image, level = (255 - gray, 255 - background) if inverted else (gray, background)
    level = min(level, 254.0)  # a white background behind a lighter object cannot occur; be safe
    out = (image - np.float32(level)) * np.float32(255 / (255 - level))
    return np.clip(out, 0, 255).astype(np.float32)


def _span(counts: np.ndarray, trim: float) -> tuple[int, int]:
    """First and one-past-last index holding all but `trim` of the counts at each end."""
    total = np.cumsum(counts)
    cut = total[-1] * trim
    start = int(np.searchsorted(total, cut, side="right"))
    stop = int(np.searchsorted(total, total[-1] - cut, side="left")) + 1
    return start, stop


def crop_box(mask: np.ndarray, trim: float = CROP_TRIM) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), ends exclusive: the object's box, ignoring stray specks."""
    top, bottom = _span(mask.sum(axis=1), trim)
    left, right = _span(mask.sum(axis=0), trim)
    return top, bottom, left, right


def pad_to_square(image: np.ndarray) -> np.ndarray:
    """The image centred on a black (0) square as wide as its longest side."""
    height, width = image.shape
    side = max(height, width)
    square = np.zeros((side, side), dtype=np.float32)
    top, left = (side - height) // 2, (side - width) // 2
    square[top:top + height, left:left + width] = image
    return square


def resize(square: np.ndarray, side: int = SIDE) -> np.ndarray:
    """The square image as side×side uint8 pixels.

    Shrinking averages the pixels each new one covers (area): no ringing at sharp edges, which
    Lanczos would add as bright lines. A square smaller than `side` is enlarged with bicubic.
    """
    image = Image.fromarray(np.asarray(square, dtype=np.float32))  # mode F: no rounding on the way
    shrinking = image.width >= side
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BICUBIC
    small = np.asarray(image.resize((side, side), method))
    return np.clip(np.rint(small), 0, 255).astype(np.uint8)  # bicubic overshoots a little


def scale(small: np.ndarray) -> np.ndarray:
    """0–255 pixels on the 0–1 scale, as the lesson's `train_images / 255.0`."""
    return small.astype(np.float32) / 255


# ---- Comparing with the training set, and pictures for trying it out ---------------------------


NEAREST_CHUNK = 2048  # rows at a time: bounds the int32 temporary to 6.4 MB


def nearest_examples(image: np.ndarray, images: np.ndarray, labels: np.ndarray, label: int,
                     k: int = 8) -> np.ndarray:
    """Indices of the `k` images of class `label` closest to `image` in pixel space, nearest first.

    Distance is the sum of squared pixel differences, computed exactly in integers; ties go to
    the lower index. `image` is on the same 0–255 scale as `images` (uint8, n×28×28).
    """
    query = np.asarray(image)
    if query.shape != images.shape[1:]:
        raise ValueError(f"image has shape {query.shape}; it must match the images' "
                         f"{images.shape[1:]}.")
    if k < 1:
        raise ValueError(f"k={k}; ask for at least one example.")
    candidates = np.flatnonzero(np.asarray(labels) == label)
    query = query.astype(np.int32).reshape(-1)
    distances = np.empty(len(candidates), dtype=np.int64)
    for start in range(0, len(candidates), NEAREST_CHUNK):
        rows = candidates[start:start + NEAREST_CHUNK]
        diff = images[rows].reshape(len(rows), -1).astype(np.int32)
        diff -= query
        distances[start:start + len(rows)] = np.einsum("ij,ij->i", diff, diff)
    order = np.argsort(distances, kind="stable")[:k]
    return candidates[order]


def photo_of(image: np.ndarray, *, zoom: int = 4, margin: float = 0.25) -> bytes:
    """A Fashion-MNIST image as a 'photo' PNG: dark on white, `zoom` times larger, with a margin.

    For trying the page without a camera, and for testing that preprocess undoes all this.
    """
    pixels = 255 - np.asarray(image, dtype=np.uint8)  # dark object on a white background
    picture = Image.fromarray(pixels).resize((image.shape[1] * zoom, image.shape[0] * zoom),
                                             Image.Resampling.BICUBIC)
    pad = round(max(picture.size) * margin)
    picture = ImageOps.expand(picture, border=pad, fill=255)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()
