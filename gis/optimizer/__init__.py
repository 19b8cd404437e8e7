"""The merge optimizer (多格合一): many small units into fewer balanced, connected grids.

``optimize(graph, target=…, band=…, seed=…)`` is the one entry point; :mod:`.io` reads the
inputs users have (polygon files, graph JSON, Gridmap's database) and writes the outputs.
"""

from gis.optimizer.graph import UnitGraph
from gis.optimizer.plan import Plan, optimize
from gis.optimizer.solver import SolverParams

__all__ = ["Plan", "SolverParams", "UnitGraph", "optimize"]
