"""The in-process SQLite writer queue: taken at a write's first statement, given back when its
connection returns to the pool, whichever thread that is on.

FastAPI enters a yielding dependency (our request session) on one worker thread and may leave
it on another. With a thread-owned lock the release raised, the lock stayed held, and every
later write in that process waited out the queue's 30 s before it could begin (CI saw the
browser tests' submissions time out that way).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text

from engine.db import Database


def test_a_write_begun_on_one_thread_and_committed_on_another_frees_the_queue(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'writer.db'}")
    try:
        with db.transaction() as session:
            session.execute(text("CREATE TABLE t (n INTEGER)"))

        scope = db.transaction()
        with ThreadPoolExecutor(max_workers=1) as first, ThreadPoolExecutor(1) as second:
            session = first.submit(scope.__enter__).result()
            first.submit(session.execute, text("INSERT INTO t VALUES (1)")).result()
            second.submit(scope.__exit__, None, None, None).result()

        # The queue is free: the next writer begins at once (a held queue would make it wait
        # 30 s and then fail on SQLite's own lock, which the first write no longer holds).
        assert db.writer_queue is not None and not db.writer_queue.locked()
        with db.transaction() as session:
            session.execute(text("INSERT INTO t VALUES (2)"))
        with db.reading() as session:
            assert session.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 2]
    finally:
        db.dispose()


def test_an_opened_write_session_holds_nothing_until_it_writes(tmp_path: Path) -> None:
    """A request's write session is opened by a dependency before its handler gets a thread;
    had the queue been taken then, every thread could end up waiting on it while its holder
    waited for a thread (a 30 s hang under a burst). It is taken at the first statement and
    given back after COMMIT, when the connection returns to the pool."""
    db = Database(f"sqlite:///{tmp_path / 'writer.db'}")
    queue = db.writer_queue
    assert queue is not None
    try:
        with db.transaction() as session:
            session.execute(text("CREATE TABLE t (n INTEGER)"))
        assert not queue.locked()

        opened = db.transaction()
        idle = opened.__enter__()  # opened, not used: another writer goes ahead at once
        assert not queue.locked()
        with ThreadPoolExecutor(max_workers=1) as other:
            other.submit(_write, db, 1).result(timeout=5)
        assert not queue.locked()

        idle.execute(text("INSERT INTO t VALUES (2)"))  # now it writes: the queue is its own
        assert queue.locked()
        opened.__exit__(None, None, None)
        assert not queue.locked()  # committed and back in the pool

        with db.reading() as session:  # readers never queue
            session.execute(text("SELECT count(*) FROM t")).scalar_one()
            assert not queue.locked()
            assert session.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 2]
    finally:
        db.dispose()


def _write(db: Database, n: int) -> None:
    with db.transaction() as session:
        session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
