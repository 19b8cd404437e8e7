"""The ``gridmap`` command line: the top floor. It calls gis/ (and api/ to serve); nothing
imports it."""
