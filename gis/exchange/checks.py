"""Checking an import's rows before the database sees them: columns mapped to fields, ids,
whole numbers and lengths, geometry type and validity (vectorised Shapely, ``make_valid`` only
when asked), each problem named by row and id."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from gis.errors import Invalid, InvalidFile
from gis.exchange.kinds import Field, Kind
from gis.exchange.options import ImportOptions
from gis.exchange.readers import Source
from gis.exchange.report import Problem, Repair

#: A point building gets a square footprint this many metres wide (stated in the report).
PLACEHOLDER_M = 10.0


# ----------------------------------------------------------------------------- columns


def map_columns(frame: pd.DataFrame, kind: Kind, options: ImportOptions) -> dict[str, str]:
    """Field → column of the file, from the options first, then the usual names."""
    given = dict(options.columns)
    for option, name in (
        (options.id_column, "code"),
        (options.name_column, "name"),
        (options.community_column, "community_code"),
    ):
        if option:
            given[name] = option
    names = {f.name for f in kind.fields}
    stray = sorted(set(given) - names)
    if stray:
        raise Invalid(
            f"{kind.name} 没有字段 {', '.join(stray)}；可用字段："
            f"{', '.join(sorted(names))} ("
            f"{kind.name} has no field {', '.join(stray)}; its fields: {', '.join(sorted(names))})"
        )
    present = [c for c in frame.columns if c != "geometry"]
    lower = {c.lower(): c for c in present}
    mapping: dict[str, str] = {}
    for f in kind.fields:
        if f.name in given:
            if given[f.name] not in present:
                raise InvalidFile(
                    f"没有列 {given[f.name]!r}（用于 {f.name}） ("
                    f"no column {given[f.name]!r} (for {f.name}); the file has "
                    f"{', '.join(present) or 'no columns'})",
                    reason="no_column",
                )
            mapping[f.name] = given[f.name]
            continue
        found = next((lower[c.lower()] for c in f.candidates if c.lower() in lower), None)
        if found is not None:
            mapping[f.name] = found
        elif f.required:
            option = {"code": "--id-column", "name": "--name-column"}.get(
                f.name, f"--column {f.name}=COLUMN"
            )
            raise InvalidFile(
                f"找不到 {f.name} 对应的列（查找了 "
                f"{', '.join(f.candidates)}）：请用 {option} 指定 ("
                f"no column for {f.name} (looked for {', '.join(f.candidates)}); the file has "
                f"{', '.join(present) or 'no columns'}: name it with {option})",
                reason="no_column",
            )
    return mapping


# ----------------------------------------------------------------------------- rows


def geom_problems(
    geoms: np.ndarray, kind: Kind, rows: np.ndarray, ids: np.ndarray, source: Source, repair: bool
) -> tuple[np.ndarray, list[Problem], list[Repair], list[str]]:
    """Check (and, with ``repair``, fix) geometry; return the usable geometries."""
    problems: list[Problem] = []
    repairs: list[Repair] = []
    warnings: list[str] = []
    out = geoms.copy()
    missing = shapely.is_missing(out)
    for i in np.flatnonzero(missing):
        reason = source.unreadable.get(int(i), "no geometry")
        problems.append(Problem(int(rows[i]), str(ids[i]), reason, "geometry"))
    present = ~missing
    empty = present & shapely.is_empty(np.where(present, out, shapely.Point()))
    for i in np.flatnonzero(empty):
        problems.append(Problem(int(rows[i]), str(ids[i]), "empty geometry", "geometry"))
    ok = present & ~empty
    types = np.array([g.geom_type if g is not None else "" for g in out], dtype=object)
    # Single-part multis become their part; point buildings get a placeholder footprint.
    single = (
        ok
        & np.isin(types, ["MultiPolygon", "MultiPoint"])
        & (shapely.get_num_geometries(np.where(ok, out, shapely.Point())) == 1)
    )
    if kind.geometry != "area" and single.any():
        out[single] = shapely.get_geometry(out[single], 0)
        types[single] = [g.geom_type for g in out[single]]
    allowed = {
        "area": ("Polygon", "MultiPolygon"),
        "polygon": ("Polygon",),
        "point": ("Point",),
        "line": ("LineString", "MultiLineString"),
    }[kind.geometry]
    if kind.table == "building":
        warnings += _placeholder_footprints(out, types, ok)
    wrong = ok & ~np.isin(types, allowed)
    for i in np.flatnonzero(wrong):
        extra = ""
        if types[i] == "MultiPolygon":
            extra = f" of {shapely.get_num_geometries(out[i])} parts"
        problems.append(
            Problem(
                int(rows[i]),
                str(ids[i]),
                f"wrong geometry type: {types[i]}{extra}; {kind.label} take {' or '.join(allowed)}",
                "geometry",
            )
        )
    ok &= ~wrong
    invalid = _repair_invalid(out, ok, kind, rows, ids, repair, problems, repairs)
    usable = ok & ~invalid
    out[~usable] = None
    return out, problems, repairs, warnings


def _placeholder_footprints(out: np.ndarray, types: np.ndarray, ok: np.ndarray) -> list[str]:
    """Buildings given as points get a square placeholder footprint (in place); the warning."""
    warnings: list[str] = []
    points = ok & (types == "Point")
    if points.any():
        warnings.append(
            f"{int(points.sum())} building(s) given as points: stored with a "
            f"{PLACEHOLDER_M:g} m square placeholder footprint"
        )
        half = PLACEHOLDER_M / 2 / 111_320
        lat = shapely.get_y(out[points])
        out[points] = shapely.box(
            shapely.get_x(out[points]) - half / np.cos(np.radians(lat)),
            lat - half,
            shapely.get_x(out[points]) + half / np.cos(np.radians(lat)),
            lat + half,
        )
        types[points] = "Polygon"
    return warnings


def _repair_invalid(
    out: np.ndarray,
    ok: np.ndarray,
    kind: Kind,
    rows: np.ndarray,
    ids: np.ndarray,
    repair: bool,
    problems: list[Problem],
    repairs: list[Repair],
) -> np.ndarray:
    """The invalid geometries among ``ok`` still invalid after repair: with ``repair``, those
    that ``make_valid`` turns into one clean polygon (or area) are fixed in place and listed;
    the others are problems."""
    invalid: np.ndarray = ok & ~shapely.is_valid(np.where(ok, out, shapely.Point()))
    if invalid.any():
        reasons = shapely.is_valid_reason(out[invalid])
        fixed = polygonal(shapely.make_valid(out[invalid]))
        for i, reason, new in zip(np.flatnonzero(invalid), reasons, fixed, strict=True):
            parts = shapely.get_num_geometries(new) if new is not None else 0
            safe = new is not None and not new.is_empty and (kind.geometry == "area" or parts == 1)
            # A broken line (one point, a spike of NaN) has no polygon to keep: it is redrawn.
            safe = safe and kind.geometry != "line"
            if repair and safe:
                if kind.geometry == "polygon" and new.geom_type == "MultiPolygon":
                    new = shapely.get_geometry(new, 0)
                before = abs(out[i].area)  # GEOS sums a bow-tie's lobes to nothing
                change = round((new.area - before) / before * 100, 2) if before else None
                repairs.append(
                    Repair(
                        int(rows[i]),
                        str(ids[i]),
                        str(reason),
                        f"{new.geom_type} ({parts} part{'s' if parts != 1 else ''})",
                        change,
                    )
                )
                out[i] = new
                invalid[i] = False
            else:
                why = f"invalid geometry: {reason}"
                if kind.geometry == "line":
                    why = f"broken line: {reason} (redraw it)"
                elif not safe:
                    why += " (make_valid would not leave one clean polygon: redraw it)"
                problems.append(Problem(int(rows[i]), str(ids[i]), why, "geometry", safe))
    return invalid


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygons of what ``make_valid`` returned (it may add stray lines)."""
    out = []
    for g in geoms:
        parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
        polys = [q for p in parts for q in shapely.get_parts(p)]
        out.append(
            None if not polys else polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
        )
    return np.array(out, dtype=object)


def attribute_problems(
    frame: pd.DataFrame, kind: Kind, mapping: dict[str, str], rows: np.ndarray
) -> tuple[pd.DataFrame, list[Problem]]:
    """Normalised text columns for every field, and what is wrong with them."""
    problems: list[Problem] = []
    out = pd.DataFrame({"_row": rows})
    ids = frame[mapping["code"]].astype(str).str.strip().to_numpy()
    for f in kind.fields:
        values = (
            frame[mapping[f.name]].astype(str).str.strip()
            if f.name in mapping
            else pd.Series([""] * len(frame))
        ).reset_index(drop=True)
        if f.required:
            for i in np.flatnonzero((values == "").to_numpy()):
                problems.append(Problem(int(rows[i]), ids[i] or None, f"{f.name} is empty", f.name))
        if f.max_length is not None:
            for i in np.flatnonzero((values.str.len() > f.max_length).to_numpy()):
                problems.append(
                    Problem(
                        int(rows[i]),
                        ids[i],
                        f"{f.name} {values[i]!r} is longer than {f.max_length} characters",
                        f.name,
                    )
                )
        if f.number:
            values = _whole_numbers(values, f, ids, rows, problems)
        out[f.name] = values.to_numpy()
    dup = out["code"].duplicated(keep=False).to_numpy() & (out["code"] != "").to_numpy()
    first_row = out[dup].groupby("code")["_row"].min().to_dict()
    for i in np.flatnonzero(dup):
        code = out["code"].iloc[i]
        if first_row[code] != rows[i]:
            problems.append(
                Problem(
                    int(rows[i]),
                    code,
                    f"duplicate id {code!r} (also on row {first_row[code]})",
                    "code",
                )
            )
    return out, problems


def _whole_numbers(
    values: pd.Series, f: Field, ids: np.ndarray, rows: np.ndarray, problems: list[Problem]
) -> pd.Series:
    numbers = pd.to_numeric(values.replace("", "0"), errors="coerce")
    bad = numbers.isna() | (numbers < 0) | (numbers != numbers.round()) | (numbers > 2**31 - 1)
    for i in np.flatnonzero(bad.to_numpy()):
        problems.append(
            Problem(
                int(rows[i]), ids[i], f"{f.name} {values[i]!r} is not a whole number ≥ 0", f.name
            )
        )
    return numbers.where(~bad, 0).fillna(0).astype("int64").astype(str)
