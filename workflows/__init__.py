"""Prefect flows: the scheduled work around the engine (DESIGN §4).

A flow body only orchestrates; each task wraps one engine call in its own transaction. Side
effects leave the engine as rows, so a flow never needs to undo anything: a failed batch rolls
back and the next run finds the same work due.
"""
