"""三张清单 and 双报到: residents' needs, the resources that can take them, and the orders between.

- :mod:`gis.needs.common` — vocabularies, a taker's reference, the one distance function, scope SQL;
- :mod:`gis.needs.resources` — paired units and pairings (结对共建), member registrations
  (双报到), volunteer teams, and the log-ins that act for them;
- :mod:`gis.needs.needs` — a need recorded where it is (群众点单), read back masked or in full;
- :mod:`gis.needs.matching` — who could take a need, ranked (distance, skill, capacity, record);
- :mod:`gis.needs.workflow` — dispatch, accept, decline, complete, evaluate, cancel;
- :mod:`gis.needs.figures` — needs per grid and area, hours given, and their CSV/XLSX;
- :mod:`gis.needs.sample` — the sample city's units, members, teams and a year of needs.
"""

from gis.needs.common import TakerRef, distance_sql
from gis.needs.matching import RankedTaker, Ranking, rank_takers
from gis.needs.needs import NeedIn, NeedView, create_need, get_need, list_needs
from gis.needs.resources import (
    Offer,
    Place,
    Registration,
    add_paired_unit,
    add_team,
    end_registration,
    link_taker,
    pair_unit,
    register_member,
)
from gis.needs.workflow import accept, cancel, complete, decline, dispatch, evaluate

__all__ = [
    "NeedIn",
    "NeedView",
    "Offer",
    "Place",
    "RankedTaker",
    "Ranking",
    "Registration",
    "TakerRef",
    "accept",
    "add_paired_unit",
    "add_team",
    "cancel",
    "complete",
    "create_need",
    "decline",
    "dispatch",
    "distance_sql",
    "end_registration",
    "evaluate",
    "get_need",
    "link_taker",
    "list_needs",
    "pair_unit",
    "rank_takers",
    "register_member",
]
