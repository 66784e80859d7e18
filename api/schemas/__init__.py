"""Request and response shapes (``XCreate`` in, ``XRead`` out)."""
