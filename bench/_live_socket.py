"""A lean Socket.IO client for the load processes: one WebSocket, one namespace, no extras.

python-socketio's asyncio client runs every received message through `asyncio.wait_for` and a
task of its own before the handler sees it; with hundreds of simulated participants in one
process, that overhead, not the server, decided how late a receipt was timed. This client
speaks the same protocol (Engine.IO 4 over a WebSocket only, Socket.IO 5 packets encoded and
decoded by python-socketio's own `Packet`) and hands each event to its handler as it arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
from socketio import packet


class SocketError(RuntimeError):
    """The connection was refused, closed or did not answer in time."""


class LiveSocket:
    """One participant's connection to one namespace of a Socket.IO server."""

    def __init__(self, namespace: str, timeout: float) -> None:
        self.namespace = namespace
        self.timeout = timeout
        self.handlers: dict[str, Callable[[Any], None]] = {}
        self.on_close: Callable[[], None] = lambda: None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task | None = None
        self.answers: dict[int, asyncio.Future] = {}
        self.next_id = 0
        self.closing = False

    async def connect(self, http: aiohttp.ClientSession, url: str, headers: dict[str, str],
                      auth: dict[str, Any]) -> None:
        """Open the WebSocket, join the namespace with `auth`; raise SocketError if refused."""
        ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        try:
            self.ws = await http.ws_connect(ws_url, headers=headers, autoping=True,
                                            timeout=aiohttp.ClientWSTimeout(ws_close=2))
            opened = await self._text()
            if not opened.startswith("0"):
                raise SocketError(f"unexpected Engine.IO greeting {opened[:40]!r}")
            await self._send(packet.Packet(packet.CONNECT, data=auth, namespace=self.namespace))
            answer = None
            while answer is None or answer.packet_type == packet.EVENT:  # skip early events
                answer = self._decode(await self._text())
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            await self.close()
            raise SocketError(f"{type(exc).__name__}: {exc}") from exc
        if answer.packet_type != packet.CONNECT:
            await self.close()
            data = answer.data
            code = data.get("code") if isinstance(data, dict) else data
            raise SocketError(f"connection refused: {code}")
        self.reader = asyncio.create_task(self._read())

    async def call(self, event: str, data: Any) -> Any:
        """Emit an event and return the server's acknowledgement."""
        self.next_id += 1
        ack_id = self.next_id
        answer = self.answers[ack_id] = asyncio.get_running_loop().create_future()
        try:
            await self._send(packet.Packet(packet.EVENT, data=[event, data],
                                           namespace=self.namespace, id=ack_id))
            return await asyncio.wait_for(answer, self.timeout)
        except (TimeoutError, ConnectionError, aiohttp.ClientError) as exc:
            raise SocketError(f"{event}: {type(exc).__name__}") from exc
        finally:
            self.answers.pop(ack_id, None)

    async def close(self) -> None:
        """Leave the namespace and close the WebSocket."""
        self.closing = True
        if self.ws is not None and not self.ws.closed:
            try:
                await self._send(packet.Packet(packet.DISCONNECT, namespace=self.namespace))
                await self.ws.close()
            except (aiohttp.ClientError, ConnectionError, OSError):
                pass
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)

    # -- the wire ------------------------------------------------------------------------

    async def _send(self, pkt: packet.Packet) -> None:
        await self.ws.send_str("4" + pkt.encode())

    async def _text(self) -> str:
        """Return the next text frame (answering Engine.IO pings on the way)."""
        while True:
            message = await asyncio.wait_for(self.ws.receive(), self.timeout)
            if message.type != aiohttp.WSMsgType.TEXT:
                raise SocketError(f"connection closed ({message.type.name})")
            if message.data == "2":
                await self.ws.send_str("3")
                continue
            return message.data

    def _decode(self, text: str) -> packet.Packet | None:
        """Decode an Engine.IO message carrying a Socket.IO packet of our namespace."""
        if not text.startswith("4"):
            return None
        pkt = packet.Packet(encoded_packet=text[1:])
        return pkt if pkt.namespace == self.namespace else None

    async def _read(self) -> None:
        """Dispatch events and acknowledgements until the connection ends."""
        try:
            async for message in self.ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                if message.data == "2":
                    await self.ws.send_str("3")
                    continue
                pkt = self._decode(message.data)
                if pkt is None:
                    continue
                if pkt.packet_type == packet.EVENT and isinstance(pkt.data, list) and pkt.data:
                    handler = self.handlers.get(pkt.data[0])
                    if handler is not None:
                        handler(pkt.data[1] if len(pkt.data) > 1 else None)
                elif pkt.packet_type == packet.ACK:
                    answer = self.answers.get(pkt.id)
                    if answer is not None and not answer.done():
                        answer.set_result(pkt.data[0] if pkt.data else None)
                elif pkt.packet_type == packet.DISCONNECT:
                    break
        except (aiohttp.ClientError, ConnectionError, OSError, ValueError):
            pass
        finally:
            for answer in self.answers.values():
                if not answer.done():
                    answer.set_exception(ConnectionError("disconnected"))
            if not self.closing:
                self.on_close()
