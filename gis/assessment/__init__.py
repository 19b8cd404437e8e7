"""考核: a fair monthly score per grid worker, from the data Gridmap already holds (tracks,
check-ins, incidents, needs), with weights per county and an explanation line by line.

- :mod:`gis.assessment.weights` — the measures, their default weights, a county's own;
- :mod:`gis.assessment.measures` — the month's counts for many workers in one PostGIS query;
- :mod:`gis.assessment.scores` — fractions, points and the score, the ranking per street;
- :mod:`gis.assessment.export` — the ranking as CSV/XLSX (through :mod:`gis.spreadsheet`).
"""

from gis.assessment.export import export_ranking
from gis.assessment.measures import Counts, month_counts
from gis.assessment.scores import (
    Line,
    Ranked,
    Ranking,
    Score,
    explain,
    parse_month,
    ranking,
    worker_score,
)
from gis.assessment.weights import (
    DEFAULT_WEIGHTS,
    MEASURE_CODES,
    MEASURES,
    Measure,
    county_of,
    county_weights,
    set_weights,
    weights_for,
)

__all__ = [
    "DEFAULT_WEIGHTS",
    "MEASURES",
    "MEASURE_CODES",
    "Counts",
    "Line",
    "Measure",
    "Ranked",
    "Ranking",
    "Score",
    "county_of",
    "county_weights",
    "explain",
    "export_ranking",
    "month_counts",
    "parse_month",
    "ranking",
    "set_weights",
    "weights_for",
    "worker_score",
]
