"""Patrols (巡查) of field workers: tracks from the phone or a GPX file, check-ins, absences, and
the figures PostGIS computes from them (time in one's own grid, distance, buildings passed).

Privacy: a track is shown to its worker and their supervisors' scopes only
(:mod:`gis.patrols.common`); no point outside working hours is stored
(:mod:`gis.patrols.tracks`); raw points are reduced to daily figures after the retention period
(:mod:`gis.patrols.retention`).
"""

from gis.patrols.checkins import AbsenceInfo, CheckInInfo, check_in, my_absences, report_absence
from gis.patrols.figures import DayFigures, Figures, Period, period_bounds, worker_figures
from gis.patrols.gpx import GpxResult, import_gpx, read_gpx
from gis.patrols.retention import PruneResult, prune_tracks
from gis.patrols.rollup import RollupResult, roll_up, rollup_days
from gis.patrols.tracks import (
    BatchResult,
    Fix,
    PatrolInfo,
    current_patrol,
    end_patrol,
    patrol_track,
    start_patrol,
    upload_points,
)

__all__ = [
    "AbsenceInfo",
    "BatchResult",
    "CheckInInfo",
    "DayFigures",
    "Figures",
    "Fix",
    "GpxResult",
    "PatrolInfo",
    "Period",
    "PruneResult",
    "RollupResult",
    "check_in",
    "current_patrol",
    "end_patrol",
    "import_gpx",
    "my_absences",
    "patrol_track",
    "period_bounds",
    "prune_tracks",
    "read_gpx",
    "report_absence",
    "roll_up",
    "rollup_days",
    "start_patrol",
    "upload_points",
    "worker_figures",
]
