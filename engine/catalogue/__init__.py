"""The service catalogue file: parse and validate it (``spec``), write it to the DB (``store``)."""

from engine.catalogue.spec import CatalogueSpec, parse_catalogue
from engine.catalogue.store import LoadSummary, load_catalogue

__all__ = ["CatalogueSpec", "LoadSummary", "load_catalogue", "parse_catalogue"]
