"""Open311 GeoReport v2: shaping (``render``) and parameters (``params``) for its routes."""
