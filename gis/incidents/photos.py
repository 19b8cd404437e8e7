"""Photos of incidents: files under the data directory, with size, count and type limits.

The type is decided by the file's first bytes (JPEG, PNG or WebP), never by its name or the
client's Content-Type: a script renamed ``.jpg`` is refused; then the photo is decoded and written
again without its metadata (:mod:`gis.incidents.photo_clean`: GPS, camera, time), its GPS position
kept in the row instead. Files are stored by content hash
under ``<data_dir>/incident_photos/<incident code>/`` and written atomically (temporary name, then
rename); the database row names the file relative to the data directory. The size limit fits under
the API's default request body limit (``GRIDMAP_MAX_BODY_BYTES``, 1 MiB): phone apps send photos
compressed to well under a megabyte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.errors import Invalid, InvalidFile, NotFound
from gis.incidents.access import require_any
from gis.incidents.photo_clean import clean_photo
from gis.incidents.workflow import _load

MAX_PHOTO_BYTES = 1_000_000
MAX_PHOTOS = 9
PHOTO_DIR = "incident_photos"


def sniff(data: bytes) -> tuple[str, str] | None:
    """(media type, extension) from the first bytes, or None if not a JPEG, PNG or WebP."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg", "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png", "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


@dataclass(frozen=True)
class StoredPhoto:
    """A photo as stored: its id (for ``/incidents/{code}/photos/{id}``), type, size, digest."""

    id: int
    media_type: str
    size: int
    sha256: str


def add_photo(
    conn: Connection,
    code: str,
    data: bytes,
    *,
    access: Access,
    data_dir: Path,
    max_bytes: int = MAX_PHOTO_BYTES,
    now: dt.datetime | None = None,
) -> StoredPhoto:
    """Store a photo of incident ``code`` (audited as ``incident.photo``); returns its row."""
    require_any(
        "add photos to incidents",
        Permission.REPORT_INCIDENTS,
        Permission.HANDLE_INCIDENTS,
        Permission.DISPATCH_INCIDENTS,
        access=access,
    )
    row = _load(conn, code, access=access)
    if not data:
        raise InvalidFile("照片为空 (the photo is empty)")
    if len(data) > max_bytes:
        raise InvalidFile(
            f"照片大小为 {len(data):,} 字节，最多接受 {max_bytes:,} 字"
            "节（请压缩，例如压成 1600 像素的 JPEG） ("
            f"the photo has {len(data):,} bytes; at most {max_bytes:,} are accepted "
            "(compress it, e.g. to 1600 px JPEG))",
            size=len(data),
        )
    kind = sniff(data)
    if kind is None:
        raise InvalidFile(
            "文件不是 JPEG、PNG 或 WebP 图片（按内容判断，不看文件名"
            "） ("
            "the file is not a JPEG, PNG or WebP image (judged by its content, not its name))"
        )
    count = conn.execute(
        text("SELECT count(*) FROM incident_photo WHERE incident_id = :id"), {"id": row["id"]}
    ).scalar_one()
    if count >= MAX_PHOTOS:
        raise Invalid(
            f"事件 {code} 已有 {MAX_PHOTOS} 张照片，已达上限 ("
            f"incident {code} has {MAX_PHOTOS} photos already, the most it may have)"
        )
    clean = clean_photo(data)
    data, media_type, ext = clean.data, clean.media_type, clean.extension
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(PHOTO_DIR) / code / f"{digest[:32]}.{ext}"
    target = data_dir / relative
    target.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
    if not target.exists():
        _write_private(target, data)
    now = now or dt.datetime.now(dt.UTC)
    photo_id = conn.execute(
        text(
            "INSERT INTO incident_photo (incident_id, path, media_type, size, sha256, "
            "uploaded_by, uploaded_at, location) VALUES (:id, :path, :type, :size, :sha, :by, "
            ":at, CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL "
            "ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END) RETURNING id"
        ),
        {
            "lon": clean.location[0] if clean.location else None,
            "lat": clean.location[1] if clean.location else None,
            "id": row["id"],
            "path": str(relative),
            "type": media_type,
            "size": len(data),
            "sha": digest,
            "by": access.name,
            "at": now,
        },
    ).scalar_one()
    audit.record(
        conn,
        access.actor,
        "incident.photo",
        "incident",
        code,
        None,
        {"photo": photo_id, "media_type": media_type, "size": len(data)},
    )
    return StoredPhoto(photo_id, media_type, len(data), digest)


#: Photos show people and homes: readable by the server's user and group only, never by others.
PHOTO_MODE = 0o640


def _write_private(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically (temporary name, then rename), mode 0640."""
    temporary = target.with_suffix(f".{os.getpid()}.part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PHOTO_MODE)
    try:
        os.fchmod(fd, PHOTO_MODE)  # whatever the umask or an earlier leftover said
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    temporary.replace(target)


def photo_file(
    conn: Connection, code: str, photo_id: int, *, access: Access, data_dir: Path
) -> tuple[Path, str]:
    """The file and media type of one photo of an incident the viewer may see."""
    row = _load(conn, code, access=access)
    found = conn.execute(
        text("SELECT path, media_type FROM incident_photo WHERE id = :p AND incident_id = :i"),
        {"p": photo_id, "i": row["id"]},
    ).first()
    if found is None:
        raise NotFound(
            f"事件 {code} 没有照片 {photo_id} (incident {code} has no photo {photo_id})",
            incident=code,
        )
    path = data_dir / found[0]
    if not path.is_file():
        raise NotFound(
            f"照片 {photo_id} 的文件在数据目录中缺失 ("
            f"the file of photo {photo_id} is missing from the data directory)"
        )
    return path, found[1]
