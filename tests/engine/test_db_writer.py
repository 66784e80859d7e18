"""The in-process SQLite writer queue survives a transaction that ends on another thread.

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
        assert db._writer is not None and not db._writer.locked()
        with db.transaction() as session:
            session.execute(text("INSERT INTO t VALUES (2)"))
        with db.reading() as session:
            assert session.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 2]
    finally:
        db.dispose()
