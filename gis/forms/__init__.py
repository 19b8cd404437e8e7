"""一表同享: a department's monthly form filled from the shared data, for any scope and month.

A form is a template (a small TOML file: :mod:`gis.forms.templates`) whose columns name fields
of a catalogue of queries (:mod:`gis.forms.catalogue`); :mod:`gis.forms.fill` fills it in one
SQL statement and writes the department's XLSX, and says per form which columns came from the
data and which still need a hand (减负).
"""

from gis.forms.fill import FilledForm, Relief, fill_form, form_xlsx, relief
from gis.forms.templates import Column, Template, parse_template, shipped_names, shipped_template

__all__ = [
    "Column",
    "FilledForm",
    "Relief",
    "Template",
    "fill_form",
    "form_xlsx",
    "parse_template",
    "relief",
    "shipped_names",
    "shipped_template",
]
