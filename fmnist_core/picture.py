"""A learner's own picture made into a Fashion-MNIST-like input, one visible step at a time.

Fashion-MNIST was made from product photos (Xiao et al. 2017): trimmed to the object, the
longest side resized to 28 pixels, centred on a 28×28 frame, negated (a light object on black)
and stored as 8-bit grey. `preprocess` does the same to an upload and keeps every step, so the
learner can see what the model is given. The limits for uploads live here, in one place.

Only numpy and Pillow here: neither Streamlit nor TensorFlow.
"""

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

SIDE = 28  # Fashion-MNIST's images are SIDE×SIDE

# Limits. MAX_UPLOAD_MB must equal server.maxUploadSize in .streamlit/config.toml (a test checks).
MAX_UPLOAD_MB = 5
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024  # Streamlit's megabyte is 2**20 bytes
# Checked from the header, before any pixel is decoded. A 12-megapixel phone photo fits (4000×3000,
# 4032×3024, 4080×3072 = 12.5 M). One decode at the limit, its peak measured: a JPEG 15 MB (read at
# 1/4 scale), a 16-bit PNG 60 MB, an RGBA PNG 113 MB, a lossless WebP 170 MB (Pillow's decoder keeps
# two copies). At 40 M pixels and through float64, a 16-bit PNG took 1 GB.
MAX_PIXELS = 12_600_000
MIN_SIDE = 8  # pixels, on each side
MAX_ASPECT = 10  # longest side ÷ shortest side: no piece of clothing is a thin strip

FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")  # what Pillow may open; anything else is refused
UPLOAD_TYPES = ("png", "jpg", "jpeg", "webp", "bmp", "gif")  # file extensions for the uploader

# Processing. Big pictures are shrunk first: the steps stay cheap and small to show, and
# 640 pixels are plenty for finding an object that ends up 28 pixels tall.
WORK_SIDE = 640
BAND_PIXELS = 1 << 20  # a 16-bit picture is made 8-bit this many pixels at a time
BORDER_FRACTION = 0.02  # the background level is the median of this outer ring (at least 1 px)
FLAT_RANGE = 2  # grey levels: a picture whose pixels span no more than this is one flat colour
OBJECT_CONTRAST = 32  # grey levels: a pixel this far from the background level is the object's
MIN_OBJECT_FRACTION = 0.001  # an object covers at least this share of the picture
CROP_TRIM = 0.005  # the crop ignores this share of the object's pixels on each side (specks)
DISPLAY_SIDE = 280  # each step is shown in a tile this size (28 × 10), at half size on screen

# What a learner reads when a picture cannot be used: one sentence each.
EMPTY = "The file is empty."
TOO_LARGE_FILE = f"The file is larger than {MAX_UPLOAD_MB} MB; upload a smaller picture."
NOT_A_PICTURE = "This file is not a PNG, JPEG, WebP, BMP or GIF picture."
DAMAGED = "This picture file is damaged or cut short, so it cannot be read."
TOO_MANY_PIXELS = (f"The picture has more than {MAX_PIXELS / 1_000_000:.1f} million pixels; "
                   "upload a smaller one.")
ANIMATED = "This picture is animated; upload a still picture instead."
TRANSPARENT = "The picture is completely transparent, so there is nothing in it to see."
FLAT = "The picture is one flat colour, so there is no object in it to find."
NO_OBJECT = ("Nothing in the picture stands out from its background; photograph the clothing "
             "on a plain background that is much lighter or darker than it.")


def too_small(width: int, height: int) -> str:
    return (f"The picture is only {width}×{height} pixels; it needs at least {MIN_SIDE} pixels "
            "on each side.")


def too_thin(width: int, height: int) -> str:
    return (f"The picture is {width}×{height} pixels, too long and thin for one piece of clothing "
            f"(at most {MAX_ASPECT} times longer than wide).")


class PictureError(ValueError):
    """An upload that cannot be used; the message is one sentence a learner can act on."""


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
    gray, alpha, source_size, file_format = _decode(raw)
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


# ---- Reading the file: the only place Pillow touches the upload --------------------------------


def _decode(raw: bytes) -> tuple[np.ndarray, np.ndarray | None, tuple[int, int], str]:
    """Grey levels (float32, 0–255) and alpha (0–1, or None when opaque), shrunk to WORK_SIDE."""
    if len(raw) == 0:
        raise PictureError(EMPTY)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise PictureError(TOO_LARGE_FILE)
    try:
        with Image.open(io.BytesIO(raw), formats=FORMATS) as image:
            _check_header(image)
            file_format, stored_size = image.format, image.size
            if file_format in ("JPEG", "MPO"):
                # Decode a big JPEG at 1/2, 1/4 or 1/8 scale straight away: far less memory.
                image.draft(None, (WORK_SIDE, WORK_SIDE))
            image.load()  # the first frame only (an MPO's second image is a thumbnail or depth map)
            drawn_size = image.size  # a draft's size, for a JPEG
            _make_upright(image)
            turned = image.size != drawn_size  # a quarter turn
            source_size = stored_size[::-1] if turned else stored_size
            standard = _standard_mode(image)
            if standard is not image:
                image.close()  # frees the decoded pixels: only the converted copy is needed now
            gray, alpha = _to_arrays(_shrink(standard))
    except PictureError:
        raise
    except UnidentifiedImageError:
        raise PictureError(NOT_A_PICTURE) from None
    except Image.DecompressionBombError:  # Pillow's own limit, above MAX_PIXELS
        raise PictureError(TOO_MANY_PIXELS) from None
    except Exception:  # Pillow reports damaged files with a zoo of exception types
        raise PictureError(DAMAGED) from None
    return gray, alpha, source_size, file_format


def _check_header(image: Image.Image) -> None:
    """The limits that can be checked before decoding: size, shape and animation."""
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise PictureError(TOO_MANY_PIXELS)
    if min(width, height) < MIN_SIDE:
        raise PictureError(too_small(width, height))
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise PictureError(too_thin(width, height))
    # A GIF, APNG or WebP with frames is refused rather than guessed at. An MPO (a JPEG with a
    # second image, as many phones write) is a still photo: its first image is used.
    if image.format in ("GIF", "PNG", "WEBP") and getattr(image, "is_animated", False):
        raise PictureError(ANIMATED)


def _make_upright(image: Image.Image) -> None:
    """Turns the image, in place, as its EXIF Orientation says; leaves it if that EXIF cannot be read.

    In place: without in_place Pillow returns a full-size copy even when there is nothing to turn.
    """
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # a phone's broken EXIF should not cost the learner their photo
        pass


def _standard_mode(image: Image.Image) -> Image.Image:
    """The image as L, RGB or RGBA (8 bits), whatever it came as (P, LA, CMYK, 16-bit, …).

    The image itself when it already is one (no copy); otherwise a new image.
    """
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        return _eight_bit(image)
    if image.mode == "RGBA":
        return image
    if image.mode in ("LA", "La", "RGBa", "PA") or "transparency" in image.info:
        return image.convert("RGBA")
    if image.mode == "L":
        return image
    if image.mode == "1":
        return image.convert("L")
    return image.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV, RGBX, RGB


def _eight_bit(image: Image.Image) -> Image.Image:
    """A 16-bit, 32-bit or float grey image as 8-bit L: 16-bit levels scaled (65535 → 255), not clipped.

    Pillow's convert("L") would clip 16-bit values at 255. A band of rows at a time, so no
    full-size wide copy is made: the whole image in float64 took 27 bytes a pixel (measured).
    """
    eight_bit = Image.new("L", image.size)
    rows = max(1, BAND_PIXELS // image.width)
    for top in range(0, image.height, rows):
        band = np.asarray(image.crop((0, top, image.width, min(top + rows, image.height))))
        if image.mode == "F":
            levels = np.rint(band.astype(np.float64))
        else:  # the nearest level, as rint(v / 257): v / 257 is never exactly halfway
            levels = (band.astype(np.int64) + 128) // 257
        eight_bit.paste(Image.fromarray(np.clip(levels, 0, 255).astype(np.uint8)), (0, top))
    return eight_bit


def _shrink(image: Image.Image) -> Image.Image:
    """The image with its longest side at most WORK_SIDE, aspect kept (Lanczos: the picture stays sharp)."""
    if max(image.size) <= WORK_SIDE:
        return image
    scale = WORK_SIDE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # RGBA is resized with premultiplied alpha, so transparent pixels' colours do not bleed.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _to_arrays(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    pixels = np.asarray(image, dtype=np.float32)
    if image.mode == "L":
        return pixels, None
    gray = pixels[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601 luma
    if image.mode == "RGB":
        return gray, None
    alpha = pixels[..., 3] / 255
    return gray, (None if alpha.min() == 1 else alpha)


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
