"""HEAD answered as GET would be, without the body (RFC 9110 §9.3.2): uptime monitors and link
checkers ask with HEAD, and FastAPI's routes answer only the methods they name.

``HeadAsGet`` runs a HEAD request once, as a GET (GET handlers read, never write), passes the
status and headers through unchanged (``Content-Length`` is the GET's) and sends no body. A
path that takes no GET answers HEAD as it answers GET: 405 with its ``Allow``, or 404.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def headers_only(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.body":
                # One empty body ends the response; the GET's chunks are dropped.
                if finished:
                    return
                finished = not message.get("more_body", False)
                if not finished:
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
