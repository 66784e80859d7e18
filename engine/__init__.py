"""The ticket domain: models, lifecycle, use cases, queries and the outbox.

No FastAPI, no Prefect, no network. Use cases take a ``Session`` and ``now``; they flush and
never commit: the caller (an API dependency, a workflow task, the CLI) owns the transaction.
"""
