"""A loopback TCP relay between the browser and a test server that can cut the connection: every
connection through it is closed and new ones are refused until it is restored (a tab whose network
drops). Chromium's offline emulation leaves loopback websockets open, so it cannot do this."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from tests.browser import browserkit as bk


class Relay:
    """``with Relay(server_port) as relay: page.goto(relay.url)``; ``relay.cut()``, ``relay.restore()``."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = bk.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._down = False
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> Relay:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._accept, "127.0.0.1", self.port), self._loop).result(10)
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def cut(self) -> None:
        """Close every connection through the relay and refuse new ones."""
        asyncio.run_coroutine_threadsafe(self._set_down(True), self._loop).result(10)

    def restore(self) -> None:
        asyncio.run_coroutine_threadsafe(self._set_down(False), self._loop).result(10)

    async def _set_down(self, down: bool) -> None:
        self._down = down
        if down:
            self._drop()

    def _drop(self) -> None:
        for w in list(self._writers):
            w.close()
        self._writers.clear()

    async def _close(self) -> None:
        self._server.close()
        self._drop()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if others:  # their sockets are closed: they end on their own
            await asyncio.wait(others, timeout=10)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._down:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)
