"""Service points and 15-minute walking coverage: the list, coverage per community or grid,
isochrones, and the walking network's report. Read-only, in the caller's scope (``view_map``);
siting needs ``run_scenarios`` (county staff); the work is gis/facilities'."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.auth import MapAccess
from api.deps import ConnDep
from api.schemas.facilities import (
    CoverageOut,
    FacilitiesOut,
    IsochroneOut,
    NetworkOut,
    SitingOut,
)
from gis.facilities.coverage import coverage
from gis.facilities.isochrone import facility_isochrone, isochrone_at
from gis.facilities.kinds import FacilityKind
from gis.facilities.listing import list_facilities
from gis.facilities.network import network_report
from gis.facilities.siting import site_facilities

router = APIRouter(prefix="/facilities", tags=["facilities"])

KindQuery = Annotated[FacilityKind | None, Query(description="meal, elderly_child, …")]
MinutesQuery = Annotated[int, Query(ge=1, le=60)]


@router.get("", summary="Service points in my scope")
def facilities(conn: ConnDep, access: MapAccess, kind: KindQuery = None) -> FacilitiesOut:
    return FacilitiesOut(facilities=list_facilities(conn, access=access, kind=kind))  # type: ignore[arg-type]


@router.get("/coverage", summary="Share of people within a walk of each kind, per area")
def facility_coverage(
    conn: ConnDep,
    access: MapAccess,
    kind: KindQuery = None,
    by: Annotated[Literal["community", "grid"], Query()] = "community",
    minutes: MinutesQuery = 15,
) -> CoverageOut:
    report = coverage(conn, [kind] if kind else None, access=access, by=by, minutes=minutes)
    return CoverageOut.model_validate(report)


@router.get("/network", summary="The walking network: size and islands")
def walking_network(conn: ConnDep, access: MapAccess) -> NetworkOut:  # noqa: ARG001 - view_map
    return NetworkOut.model_validate(network_report(conn))


@router.get("/siting", summary="Where 1–5 new facilities would cover the most uncovered people")
def siting(
    conn: ConnDep,
    access: MapAccess,
    kind: Annotated[FacilityKind, Query(description="meal, elderly_child, …")],
    sites: Annotated[int, Query(ge=1, le=5)] = 3,
    minutes: MinutesQuery = 15,
) -> SitingOut:
    """MCLP (spopt) and the greedy choice over the caller's scope; needs ``run_scenarios``."""
    return SitingOut.model_validate(
        site_facilities(conn, kind, access=access, sites=sites, minutes=minutes)
    )


@router.get("/isochrone", summary="5/10/15-minute walk from a point (a facility to be)")
def point_isochrone(
    conn: ConnDep,
    access: MapAccess,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    minutes: MinutesQuery = 15,
) -> IsochroneOut:
    return IsochroneOut.model_validate(isochrone_at(conn, lon, lat, access=access, minutes=minutes))


@router.get("/{code}/isochrone", summary="5/10/15-minute walk from one facility")
def code_isochrone(
    conn: ConnDep, access: MapAccess, code: str, minutes: MinutesQuery = 15
) -> IsochroneOut:
    return IsochroneOut.model_validate(
        facility_isochrone(conn, code, access=access, minutes=minutes)
    )
