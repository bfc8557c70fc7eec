"""A learner's uploaded picture file: the limits, the sentence a learner reads when a picture cannot
be used (`PictureError`), and `decode`, the only place Pillow opens the upload.

The limits for uploads live here, in one place. Only numpy and Pillow: neither Streamlit nor
TensorFlow.
"""

import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

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

# Big pictures are shrunk first: the steps stay cheap and small to show, and 640 pixels are plenty
# for finding an object that ends up 28 pixels tall.
WORK_SIDE = 640
BAND_PIXELS = 1 << 20  # a 16-bit picture is made 8-bit this many pixels at a time

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


def decode(raw: bytes) -> tuple[np.ndarray, np.ndarray | None, tuple[int, int], str]:
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

