"""``engine.once.built_once``: a process-wide value is built by one thread, also when many ask
at the same moment — and every process-wide cache in the code is one."""

from __future__ import annotations

import ast
import threading
import time
import warnings
from pathlib import Path

import pytest
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import aliased

from engine import visibility
from engine.models import Category, Ticket
from engine.once import built_once

ROOT = Path(__file__).resolve().parents[2]


def _race(call: object, threads: int = 8) -> list[object]:
    """``call()`` from ``threads`` threads released at once; their results in order."""
    gate = threading.Barrier(threads)
    results: list[object] = [None] * threads

    def run(i: int) -> None:
        gate.wait()
        results[i] = call()  # type: ignore[operator]

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def test_a_slow_build_asked_by_eight_threads_at_once_runs_once() -> None:
    calls: list[int] = []

    @built_once
    def slow() -> object:
        calls.append(1)
        time.sleep(0.05)  # every other thread arrives while this one builds
        return object()

    results = _race(slow)
    assert len(calls) == 1
    assert all(r is results[0] for r in results)


def test_each_argument_gets_its_own_value_and_a_builder_may_call_another() -> None:
    @built_once
    def inner(flag: bool) -> tuple[bool]:
        return (flag,)

    @built_once
    def outer(flag: bool = True) -> tuple[tuple[bool], str]:
        return inner(flag), "outer"  # re-entrant: no deadlock on the shared lock

    assert outer(True) is outer(True)
    assert outer(False)[0] == (False,)
    assert outer(flag=True) == outer(True)
    assert not inner.is_built("never asked")
    inner.cache_clear()
    assert not inner.is_built(True)
    assert inner(True) == (True,)


def test_a_failed_build_is_not_kept() -> None:
    attempts: list[int] = []

    @built_once
    def flaky() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first try fails")
        return 7

    with pytest.raises(RuntimeError):
        flaky()
    assert flaky() == 7 and flaky() == 7
    assert len(attempts) == 2


def test_fresh_aliases_read_by_a_builder_from_many_threads_keep_their_own_columns() -> None:
    """What went wrong before: threads touching a new ``aliased`` class at once could each get
    the unaliased column, and ``functools.cache`` kept the first statement built. Under
    ``built_once`` the statement is built by one thread, so every round's clause names the
    alias's own ``public`` column."""
    for _ in range(40):
        duplicate, category = aliased(Ticket), aliased(Category)

        @built_once
        def clause(duplicate: type[Ticket] = duplicate, category: type[Category] = category) -> str:
            return str(visibility.published_clause(duplicate, category))

        with warnings.catch_warnings():
            warnings.simplefilter("error", SAWarning)
            results = _race(clause)
        assert len({id(r) for r in results}) == 1
        assert "categories.public" not in str(results[0])


def _decorators(tree: ast.Module) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in node.decorator_list:
                name = ast.unparse(deco)
                if name in ("cache", "functools.cache") or name.startswith(
                    ("lru_cache(maxsize=None", "functools.lru_cache(maxsize=None")
                ):
                    found.append((node.name, node.lineno))
    return found


def test_no_process_wide_value_is_kept_by_functools_cache() -> None:
    """Unbounded ``functools.cache`` on a module function is a process-wide value: it must be
    ``built_once``. (Bounded ``lru_cache`` of pure small results, as in ``sla.calendar`` and
    the rate limiter's client key, may be computed twice harmlessly and stays.)"""
    offenders = []
    for package in ("engine", "api", "cli", "workflows", "sla"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            offenders += [
                f"{path.relative_to(ROOT)}:{line} {name}" for name, line in _decorators(tree)
            ]
    assert offenders == []
