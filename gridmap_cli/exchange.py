"""``gridmap import``, ``gridmap export`` and ``gridmap check``: files in and out, and QA.

The CLI acts as ``system:<os user>`` (whoever runs it owns the database): it may import anywhere.
Exports mask grid leaders' names unless ``--personal-data`` is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gis.infra.settings import load_settings
from gridmap_cli.access import system_access
from gridmap_cli.errors import friendly

if TYPE_CHECKING:  # imported for annotations only: the CLI's --help stays fast
    from sqlalchemy import Engine

    from gis.exchange.report import ImportReport

exchange_app = typer.Typer()

KIND_HELP = (
    "districts, streets, communities, units, layer (a departmental grid layer), buildings, "
    "party_members, incidents, roads (also an OpenStreetMap .osm.pbf), rivers or facilities"
)


def _engine() -> Engine:  # local imports keep --help fast
    from gis.infra.db import make_engine, migrate, resolve_url

    url = resolve_url(load_settings())
    migrate(url)
    return make_engine(url)


def _columns(pairs: list[str]) -> dict[str, str]:
    from gis.errors import Invalid

    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not name or not column:
            raise Invalid(
                "--column 的写法为 字段=列名（例如 households=户数），而"
                f"不是 {pair!r} ("
                f"--column takes FIELD=COLUMN (e.g. households=户数), not {pair!r})"
            )
        out[name.strip()] = column.strip()
    return out


@exchange_app.command("import")
@friendly
def import_command(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    file: Annotated[Path, typer.Argument(help=".gpkg .geojson .zip(.shp) .csv .kml .xlsx")],
    crs: Annotated[
        str | None, typer.Option(help="wgs84, cgcs2000, gcj02, bd09 or EPSG:4527 …")
    ] = None,
    id_column: Annotated[str | None, typer.Option(help="column with the code")] = None,
    name_column: Annotated[str | None, typer.Option(help="column with the name")] = None,
    community_column: Annotated[str | None, typer.Option(help="column with the community")] = None,
    column: Annotated[
        list[str] | None, typer.Option(help="FIELD=COLUMN for any other field (repeatable)")
    ] = None,
    source_layer: Annotated[
        str | None, typer.Option(help="layer of a GeoPackage/KML, or sheet of a workbook")
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="attribute encoding, e.g. gbk")] = None,
    wkt_column: Annotated[str | None, typer.Option(help="CSV/XLSX: WKT column")] = None,
    lon_column: Annotated[str | None, typer.Option(help="CSV/XLSX: longitude column")] = None,
    lat_column: Annotated[str | None, typer.Option(help="CSV/XLSX: latitude column")] = None,
    layer: Annotated[str | None, typer.Option(help="layer kind: the grid layer's code")] = None,
    layer_name: Annotated[str | None, typer.Option(help="layer kind: its name")] = None,
    department: Annotated[str | None, typer.Option(help="layer kind: the department")] = None,
    replace: Annotated[bool, typer.Option(help="layer kind: replace an existing layer")] = False,
    area: Annotated[
        str | None, typer.Option(help="layer kind: district/street/community code to cover")
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="dry run: report, write nothing")] = False,
    repair: Annotated[
        bool, typer.Option("--repair", help="fix invalid geometry with make_valid")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Import a file; every row is checked and the import lands whole or not at all."""
    from gis.exchange import ImportOptions, ImportRejected, import_file

    options = ImportOptions(
        crs=crs,
        encoding=encoding,
        source_layer=source_layer,
        id_column=id_column,
        name_column=name_column,
        community_column=community_column,
        columns=_columns(column or []),
        wkt_column=wkt_column,
        lon_column=lon_column,
        lat_column=lat_column,
        repair=repair,
        layer=layer,
        layer_name=layer_name,
        department=department,
        replace=replace,
        area=area,
    )
    engine = _engine()
    settings = load_settings()
    try:
        with engine.begin() as conn:
            report = import_file(
                conn,
                kind,
                file,
                options,
                check=check,
                weights=settings.weights,
                limits=settings.imports,
                access=system_access(),
            )
    except ImportRejected as exc:
        _print_report(exc.report, as_json)
        raise
    finally:
        engine.dispose()
    _print_report(report, as_json)


def _print_report(report: ImportReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, default=str))
        return
    typer.echo(report.summary() + (" (dry run: nothing written)" if report.check else ""))
    for warning in report.warnings:
        typer.echo(f"  warning: {warning}")
    for fix in report.repaired:
        change = "n/a" if fix.area_change_pct is None else f"{fix.area_change_pct:+.2f} %"
        typer.echo(
            f"  repaired row {fix.row} ({fix.id}): {fix.reason} → {fix.became}, area {change}"
        )
    for problem in report.errors[:50]:
        where = f"row {problem.row}" if problem.row is not None else "file"
        ident = f" ({problem.id})" if problem.id else ""
        typer.echo(f"  {where}{ident}: {problem.reason}", err=True)
    if len(report.errors) > 50:
        typer.echo(f"  … and {len(report.errors) - 50} more", err=True)
    findings = report.findings
    if "units_assigned" in findings:
        typer.echo(
            f"  units assigned {findings['units_assigned']:,}; gaps (units in no grid) "
            f"{findings['gap_units']:,}; split units {findings['split_units']:,}; grids crossing "
            f"communities {findings['grids_crossing_communities']:,}; grids with no unit "
            f"{findings['empty_grid_count']:,}; overlaps between drawn grids "
            f"{findings['drawn_overlaps']:,}"
        )
        for gap in findings["gaps"][:10]:
            typer.echo(f"    gap: unit {gap['unit']} (community {gap['community']})")
        for split in findings["splits"][:10]:
            shares = ", ".join(f"{s['grid']} {float(s['share']):.0%}" for s in split["shares"])
            typer.echo(f"    split: unit {split['unit']} → {split['assigned_to']} ({shares})")
        for cross in findings["crossings"][:10]:
            parts = ", ".join(f"{c['community']} ({c['units']})" for c in cross["communities"])
            typer.echo(f"    crossing: grid {cross['grid']}: {parts}")
        if findings["empty_grids"]:
            typer.echo(f"    no unit: {', '.join(findings['empty_grids'][:20])}")


@exchange_app.command("export")
@friendly
def export_command(
    layer: Annotated[str, typer.Argument(help="layer code: unified, zongzhi, a scenario …")],
    out: Annotated[
        Path, typer.Option(help="file to write (default: a name in this folder)")
    ] = Path(),
    fmt: Annotated[
        str, typer.Option("--format", help="gpkg, geojson, shp, csv, xlsx or pmtiles")
    ] = "gpkg",
    crs: Annotated[str, typer.Option(help="wgs84, cgcs2000 or gcj02")] = "wgs84",
    encoding: Annotated[str, typer.Option(help="shp/csv attributes: utf-8 or gbk")] = "utf-8",
    personal_data: Annotated[
        bool, typer.Option("--personal-data", help="grid leaders' names in full, not masked")
    ] = False,
    minzoom: Annotated[int, typer.Option(help="pmtiles: lowest zoom")] = 8,
    maxzoom: Annotated[int, typer.Option(help="pmtiles: highest zoom")] = 15,
) -> None:
    """Export a grid layer as a file (the grids with codes, community, workload, grid leader),
    or as a PMTiles archive of its vector tiles (no personal data) from --minzoom to --maxzoom."""
    from gis.codes import checked
    from gis.exchange import export_layer

    checked("layer", layer)  # before anything is opened or written (exit 2)
    if fmt == "pmtiles":
        _export_pmtiles(layer, out, minzoom, maxzoom)
        return
    engine = _engine()
    try:
        with engine.connect() as conn:
            exported = export_layer(
                conn,
                layer,
                fmt,
                crs=crs,
                encoding=encoding,
                access=system_access(personal_data=personal_data),
            )
    finally:
        engine.dispose()
    target = out / exported.filename if out.is_dir() else out
    target.write_bytes(exported.data)
    masked = "in full" if exported.personal_data == "full" else "masked"
    typer.echo(
        f"wrote {target} ({exported.rows:,} grids, {len(exported.data):,} bytes); fields: "
        f"{', '.join(exported.fields)}; personal data ({', '.join(exported.personal_fields)}) "
        f"{masked}"
    )


def _export_pmtiles(layer: str, out: Path, minzoom: int, maxzoom: int) -> None:
    from gis.tiles.pmtiles import export_pmtiles

    target = out / f"{layer}.pmtiles" if out.is_dir() else out
    engine = _engine()
    try:
        with engine.begin() as conn:
            archive = export_pmtiles(
                conn,
                load_settings(),
                layer,
                target,
                minzoom=minzoom,
                maxzoom=maxzoom,
                access=system_access(),
            )
    finally:
        engine.dispose()
    typer.echo(
        f"wrote {archive.path} ({archive.tiles:,} tiles of {archive.addressed:,} looked at, "
        f"z{minzoom}–z{maxzoom}, {archive.bytes:,} bytes, layer version {archive.version})"
    )


@exchange_app.command("check")
@friendly
def check_command(
    layer: Annotated[str, typer.Argument(help="layer code")],
    geojson: Annotated[
        Path | None, typer.Option(help="also write the problem geometries here")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Topology check of a layer: gaps, overlaps, slivers, multi-part grids, crossings."""
    from gis.codes import checked
    from gis.exchange import check_layer

    checked("layer", layer)
    engine = _engine()
    try:
        with engine.begin() as conn:
            result = check_layer(conn, layer, access=system_access())
    finally:
        engine.dispose()
    if geojson is not None:
        geojson.write_text(result.geojson, "utf-8")
    s = result.summary
    if as_json:
        typer.echo(json.dumps(s, ensure_ascii=False))
        return
    typer.echo(f"layer {layer} ({s['kind']}, version {s['version']}): {s['grids']:,} grids")
    typer.echo(f"  gaps       {s['gaps']:>6,}  {s['gap_area_m2']:>14,.1f} m²")
    typer.echo(f"  overlaps   {s['overlaps']:>6,}  {s['overlap_area_m2']:>14,.1f} m²")
    typer.echo(f"  slivers    {s['slivers']:>6,}  {s['sliver_area_m2']:>14,.1f} m²")
    typer.echo(f"  multi-part grids            {s['multipart_grids']:>6,}")
    typer.echo(f"  grids crossing communities  {s['grids_crossing_communities']:>6,}")
    typer.echo(f"  grids with no unit          {s['empty_grids']:>6,}")
    share = s["uncovered_share"]
    typer.echo(
        f"  uncovered: {share:.3%} of {s['governed_km2']:,} km²"
        if share is not None
        else "  uncovered: n/a"
    )
    if s["departments"]:
        typer.echo("  departmental layers, share of their districts' communities uncovered:")
        for d in s["departments"]:
            typer.echo(f"    {d['code']:12} {d['uncovered_share']:>8.3%}  {d['name']}")
    if geojson is not None:
        typer.echo(f"problem geometries written to {geojson}")
