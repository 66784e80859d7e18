"""The HTTP front door: citizen API, staff API and Open311 GeoReport v2 in one FastAPI app."""
