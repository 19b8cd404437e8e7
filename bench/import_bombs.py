"""What a decompression bomb costs the reader before it is refused: seconds and peak memory.

Each case is generated into a temporary folder (small on disk) and read with
``gis.exchange.readers.read_source`` in a fresh process, as an upload would be; the table shows
the file's size, what it unpacks to, the answer (the error's status and first words) and the
reader's time and peak resident memory. No database is needed.

    python bench/import_bombs.py            # the code in this checkout
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHAPEFILE = REPO / "tests" / "data" / "exchange" / "layer_gbk.zip"

CHILD = """
import json, resource, sys, time
from pathlib import Path
from gis.errors import GridmapError
from gis.exchange.readers import read_source
started = time.perf_counter()
try:
    source = read_source(Path(sys.argv[1]))
    answer = f"read {len(source.frame):,} rows"
except GridmapError as exc:
    answer = f"{exc.status} {exc.message[:60]}"
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"answer": answer, "seconds": time.perf_counter() - started, "peak_mb": peak}))
"""


def _zip_bomb(folder: Path, unpacked: int) -> Path:
    """The test Shapefile with its .dbf replaced by ``unpacked`` zero bytes."""
    with zipfile.ZipFile(SHAPEFILE) as archive:
        parts = {m: archive.read(m) for m in archive.namelist()}
    dbf = next(m for m in parts if m.lower().endswith(".dbf"))
    path = folder / f"bomb_{unpacked >> 20}MiB.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name, data in parts.items():
            if name != dbf:
                out.writestr(name, data)
        with out.open(dbf, "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(unpacked >> 20):
                member.write(chunk)
    return path


def _xlsx_bomb(folder: Path, rows: int) -> Path:
    """A workbook whose one sheet holds ``rows`` identical rows (it packs ~1000 to 1)."""
    from openpyxl import Workbook

    small = folder / "small.xlsx"
    book = Workbook()
    book.active.append(["code", "name", "lon", "lat"])
    book.save(small)
    with zipfile.ZipFile(small) as archive:
        parts = {m: archive.read(m) for m in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    head, tail = parts[sheet].split(b"</sheetData>")
    body = b"<row><c t='inlineStr'><is><t>x</t></is></c></row>" * rows
    path = folder / f"bomb_{rows // 1000}k_rows.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name, data in parts.items():
            out.writestr(name, head + body + b"</sheetData>" + tail if name == sheet else data)
    return path


def _unpacked(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(m.file_size for m in archive.infolist())


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="gridmap-bench-") as tmp:
        folder = Path(tmp)
        cases = [_zip_bomb(folder, 1 << 30), _xlsx_bomb(folder, 800_000)]
        print(f"{'file':<24} {'on disk':>10} {'unpacks to':>11} {'s':>7} {'peak MB':>8}  answer")
        for path in cases:
            run = subprocess.run(
                [sys.executable, "-c", CHILD, str(path)],
                capture_output=True,
                text=True,
                cwd=REPO,
                check=False,
            )
            if run.returncode != 0:
                print(f"{path.name:<24} failed: {run.stderr.strip().splitlines()[-1]}")
                continue
            got = json.loads(run.stdout)
            print(
                f"{path.name:<24} {path.stat().st_size / 1e6:>8.2f}MB "
                f"{_unpacked(path) / 2**20:>8,.0f}MiB {got['seconds']:>7.1f} "
                f"{got['peak_mb']:>8,.0f}  {got['answer']}"
            )


if __name__ == "__main__":
    main()
