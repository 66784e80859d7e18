"""The service catalogue file: parse and validate it (``spec``), write it to the DB (``store``)."""

from engine.catalogue.spec import CatalogueSpec, parse_catalogue
from engine.catalogue.store import load_catalogue
from engine.catalogue.summary import LoadSummary

__all__ = ["CatalogueSpec", "LoadSummary", "load_catalogue", "parse_catalogue"]
