"""A photo made fit to keep: decoded for real, turned upright, written again without metadata.

A phone's photo carries its EXIF block: where it was taken (GPS, to a few metres: a resident's
home), when, the phone's make, model and serial number, sometimes the owner's name. None of that
belongs in a file that every dispatcher, department and export can open. So every photo is
decoded with Pillow (a file that does not decode as a JPEG, PNG or WebP image is refused, whatever
its first bytes say), turned the way its EXIF orientation says (so that it still shows upright
without it), and encoded again with no EXIF, XMP or text chunks; only the colour profile stays.
JPEGs keep their own quantisation tables when nothing had to be turned (``quality="keep"``), so
the new file looks like the old one.

Where the photo says it was taken is not thrown away: it is returned, and stored with the photo
row in PostGIS (``incident_photo.location``), where the incident's own access rules guard it —
a dispatcher can compare it with where the incident was reported.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from gis.errors import InvalidFile

#: A 1 MB upload that decodes to more pixels than this is a decompression bomb, not a photo.
MAX_PIXELS = 60_000_000
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
GPS_IFD = 0x8825
ORIENTATION = 0x0112


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    media_type: str
    extension: str
    #: (longitude, latitude) in WGS84 from the photo's GPS tags, if it had them.
    location: tuple[float, float] | None


def clean_photo(data: bytes) -> CleanPhoto:
    """The photo without its metadata; :class:`InvalidFile` if it is not a readable image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in FORMATS:
                raise InvalidFile(_NOT_AN_IMAGE)
            if image.width * image.height > MAX_PIXELS:
                raise InvalidFile(
                    f"照片有 {image.width}×{image.height} 像素，超过上限 {MAX_PIXELS:,} ("
                    f"the photo has {image.width}×{image.height} pixels, more than {MAX_PIXELS:,})"
                )
            image.load()
            kind = image.format
            exif = image.getexif()
            location = _location(exif)
            upright = ImageOps.exif_transpose(image)
            turned = exif.get(ORIENTATION, 1) not in (1, None)
            out = _encode(upright, kind, keep_tables=not turned, icc=image.info.get("icc_profile"))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidFile(_NOT_AN_IMAGE) from None
    media_type, extension = FORMATS[kind]
    return CleanPhoto(out, media_type, extension, location)


_NOT_AN_IMAGE = (
    "文件不是可读的 JPEG、PNG 或 WebP 图片（按内容解码判断，不看文件名） ("
    "the file is not a readable JPEG, PNG or WebP image (judged by decoding it, not by its name))"
)


def _encode(image: Image.Image, kind: str, *, keep_tables: bool, icc: bytes | None) -> bytes:
    """Write the pixels again; nothing but the colour profile goes with them."""
    buffer = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    if kind == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        quality: int | str = "keep" if keep_tables else 90
        image.save(buffer, "JPEG", quality=quality, optimize=True, **extra)
    elif kind == "PNG":
        image.save(buffer, "PNG", optimize=True, **extra)
    else:
        image.save(buffer, "WEBP", quality=90, **extra)
    return buffer.getvalue()


def _location(exif: Image.Exif) -> tuple[float, float] | None:
    """(lon, lat) from the GPS IFD (degrees, minutes, seconds as rationals, with N/S, E/W)."""
    gps = exif.get_ifd(GPS_IFD)
    try:
        lat = _degrees(gps[2], gps.get(1, "N"))
        lon = _degrees(gps[4], gps.get(3, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return round(lon, 7), round(lat, 7)


def _degrees(dms: tuple[float, float, float], ref: object) -> float:
    degrees, minutes, seconds = (float(part) for part in dms)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if str(ref).strip().upper() in ("S", "W") else value
