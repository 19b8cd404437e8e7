"""议事协商: councils that settle what one party cannot — 五方议事厅 (community party committee,
owners' committee, property company, residents' representatives, paired unit) and 邻里会商's four
steps 了解诉求 → 分析研判 → 议事会商 → 落实问效.

- :mod:`gis.councils.common` — the order of the steps, where a point lies, scope SQL;
- :mod:`gis.councils.venues` — 居民之家, 议事厅, 议事坪 as points on the map;
- :mod:`gis.councils.councils` — a topic raised (from a need or in the community), read back;
- :mod:`gis.councils.workflow` — the four steps, in order, with dates, minutes and the decision;
- :mod:`gis.councils.escalation` — an incident its loop cannot close becomes a need or a topic;
- :mod:`gis.councils.figures` — councils held and settled per area, and their CSV/XLSX;
- :mod:`gis.councils.sample` — a year of councils for the sample city.
"""

from gis.councils.councils import (
    CouncilIn,
    CouncilItem,
    CouncilView,
    get_council,
    list_councils,
    raise_council,
)
from gis.councils.escalation import Link, escalate_to_council, escalate_to_need
from gis.councils.venues import VenueView, add_venue, list_venues
from gis.councils.workflow import StepIn, Task, record_step

__all__ = [
    "CouncilIn",
    "CouncilItem",
    "CouncilView",
    "Link",
    "StepIn",
    "Task",
    "VenueView",
    "add_venue",
    "escalate_to_council",
    "escalate_to_need",
    "get_council",
    "list_councils",
    "list_venues",
    "raise_council",
    "record_step",
]
