"""A Jiangxi-sized province package for Gridmap (see provincegen.package)."""
