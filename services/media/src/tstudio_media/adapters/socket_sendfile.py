"""File bodies sent with `os.sendfile` straight from the event loop, one writer registration each.

asyncio's `loop.sendfile` (what aiohttp's FileResponse calls) pauses reading, waits for the
transport to drain, and around every `os.sendfile` call unregisters the socket from epoll and
registers it again: two `epoll_ctl` calls and a fresh callback per 1-2 MiB sent, plus four more
per body. Here the first `sendfile` goes out at once (a 1 MiB range usually fits in the socket's
buffer and needs no event at all) and, when the socket is full, one writer callback stays
registered until the body is sent.
"""

from __future__ import annotations

import asyncio
import errno
import os

# Per call, as nginx's `sendfile_max_chunk` (2m): a fast reader could otherwise keep one
# `sendfile` going for many megabytes while every other connection on the loop waits.
MAX_CHUNK = 2 * 1024 * 1024


class FileEndedEarly(ConnectionAbortedError):
    """The file ended before the length already promised in the headers: the only honest end of
    such a response is to close the connection (a ConnectionError, so aiohttp does so)."""


async def send_file_body(transport: asyncio.Transport, file_fd: int, offset: int, count: int) -> bool:
    """Send `count` bytes of `file_fd` from `offset` to the transport's socket.

    Returns False, having sent nothing, where this path does not apply (TLS, no `os.sendfile`,
    bytes still queued in the transport); the caller then sends the body its usual way.
    Raises ConnectionError when the peer goes away, FileEndedEarly when the file is cut short
    under the transfer.
    """
    sock = transport.get_extra_info("socket")
    if (
        not hasattr(os, "sendfile")
        or sock is None
        or transport.get_extra_info("sslcontext") is not None
        or transport.get_write_buffer_size()
    ):
        return False
    if transport.is_closing():
        raise ConnectionResetError("connection lost")
    if count == 0:
        return True
    body = _Body(file_fd, offset, count)
    if body.send(sock.fileno()):
        return True
    # The transport owns its descriptor (asyncio refuses a second callback on it) and may close it
    # while we wait, after which the number can name another connection; a duplicate is the same
    # socket under a number that only this body uses.
    fd = os.dup(sock.fileno())
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def on_writable() -> None:
        if done.done():
            return
        try:
            if not body.send(fd):
                return
        except BaseException as exc:  # handed to the awaiting task, which re-raises it
            done.set_exception(exc)
        else:
            done.set_result(None)
        loop.remove_writer(fd)

    loop.add_writer(fd, on_writable)
    try:
        await done
    finally:
        loop.remove_writer(fd)
        os.close(fd)
    return True


class _Body:
    """Where a body's transfer stands: the next offset and the bytes still to send."""

    __slots__ = ("_file_fd", "_left", "_offset")

    def __init__(self, file_fd: int, offset: int, count: int) -> None:
        self._file_fd = file_fd
        self._offset = offset
        self._left = count

    def send(self, sock_fd: int) -> bool:
        """One `sendfile` call; True once everything is sent, False when the socket is full."""
        try:
            sent = os.sendfile(sock_fd, self._file_fd, self._offset, min(self._left, MAX_CHUNK))
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:
            if exc.errno == errno.ENOTCONN and not isinstance(exc, ConnectionError):
                raise ConnectionResetError(errno.ENOTCONN, "socket is not connected") from exc
            raise
        if sent == 0:
            raise FileEndedEarly(f"file ended {self._left} bytes before the response did")
        self._offset += sent
        self._left -= sent
        return self._left == 0
