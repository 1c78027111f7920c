"""ipckit for asyncio: IpcChannel, NamedPipe, AnonymousPipe and FileChannel on the event loop.

    import asyncio
    import ipckit
    from ipckit import aio

    async def server() -> None:                       # one program
        async with aio.IpcChannel.create("jobs") as channel:
            await channel.wait_for_client(timeout=30)
            async for request in channel:             # until the client closes
                await channel.send_json({"echo": ipckit.json_loads(request)})

    async def client() -> None:                       # another program
        async with await aio.IpcChannel.connect("jobs", timeout=5) as channel:
            await channel.send_json({"n": 1})
            print(await channel.recv_json(timeout=5))  # {'echo': {'n': 1}}

    asyncio.run(server())                             # and asyncio.run(client())

A server with several clients accepts each as its own connection and serves it
in its own task:

    async def serve(channel: aio.IpcChannel) -> None:
        async def one(conn: aio.IpcChannelConnection) -> None:
            async with conn:
                async for message in conn:
                    await conn.send(message)
        async with asyncio.TaskGroup() as tasks:
            while True:
                tasks.create_task(one(await channel.accept()))

Why a module and not `async` methods on the blocking classes: the blocking
classes are the C++ extension's and keep ipckit 0.1's API name for name; an
asyncio object also holds per-event-loop state (the messages read ahead, the
callbacks registered with the loop, a frame still going out after a cancelled
send), and `async with`, `async for` and the stubs only type-check cleanly when
every method of a class is of one kind. So each class here wraps one blocking
object (made for you by create/connect/..., or passed in: `aio.IpcChannel(ch)`,
handy for a channel made in a thread or inherited fds), which stays reachable as
`.raw`. Use an object from one event loop only, and do not call the blocking
object's methods while the asyncio one is in use.

How it waits: on file descriptors, through the running loop's add_reader /
add_writer (the socket of a channel or named pipe, a pipe end, the listening
socket for accept, the inotify descriptor of a FileChannel). No thread per
call and no polling: every call tries the C++ core with a zero timeout (it
never waits) and, when that would block, sleeps until the loop reports the
descriptor ready. An IpcChannel's recv tries once first (in a round trip
the reply is often there already) and then keeps its socket registered with
the loop from call to call; each wake-up takes every whole message one read
brought in, so a stream of messages costs one wake-up per batch. Three waits have no descriptor to wait
on, exactly where the blocking calls poll too: connect() with a timeout while
no server exists yet (retried after 1, 2, 4 .. 50 ms), a FileChannel send
while another writer holds the channel lock (flock(2) has no timeout: retried
after 0.05 .. 10 ms), and a FileChannel whose directory cannot be watched with
inotify (not Linux, the watch limit reached, the directory removed: checked
every 1 .. 20 ms, as the blocking waits do).

Timeouts: every call that waits takes `timeout=` in seconds (None: no limit;
0: only what is possible without waiting) and raises ipckit.IpcTimeoutError (a
TimeoutError) when it passes. asyncio.timeout() and asyncio.wait_for() around
any call work as well, by cancelling it.

Cancellation (by asyncio.timeout, Task.cancel, a TaskGroup, or `timeout=`)
loses nothing and corrupts nothing:
  - recv: a message is either returned or stays in the object for the next
    recv; a partly received frame stays buffered in the C++ endpoint.
  - send: a message is sent whole or not at all. Cancelled (or timed out)
    before any byte went out, nothing was sent; once its first byte is out
    the message is committed and its rest goes out from the event loop in the
    background (the next send waits for it), so the peer never sees half a
    frame, and a send that raised IpcTimeoutError may still be delivered.
  - NamedPipe/AnonymousPipe write: the same all-or-nothing rule for the bytes
    of one write() call; read_exact keeps the bytes it got for the next read.
  - accept / wait_for_client: a connection is returned or stays queued in the
    kernel for the next call; a wait_for_client that times out leaves the
    current client (and what was read from it) as it was.

Errors are the blocking API's (ipckit.PeerClosedError, ClosedError, ...).
`async for message in channel` ends when the peer closes between messages.
close() closes at once (a frame still going out is dropped, as the blocking
close does); `await aclose()`, and leaving `async with`, first let such a frame
finish.

Shared-memory messaging (ShmSubscriber, its events and request/response,
ShmWaitSet) is not here: it wakes through futexes in shared memory, which no
file descriptor reports, so an event loop cannot wait for it without a thread
or polling. Run its blocking receive in a thread (asyncio.to_thread), or a
ShmWaitSet there. Python 3.11 or later (asyncio.timeout).
"""

from __future__ import annotations

import asyncio
import collections
import math
from typing import (TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Coroutine, Generic,
                    Optional, TypeVar)

from ipckit import _ipckit as _core
from ipckit._ipckit import (
    ClosedError,
    IpcTimeoutError,
    PeerClosedError,
    TruncatedError,
    json_dumps,
    json_loads,
)

if TYPE_CHECKING:
    from ipckit._typing import Buffer, FileMessage, JsonValue

__all__ = [
    "AnonymousPipe",
    "FileChannel",
    "IpcChannel",
    "IpcChannelConnection",
    "NamedPipe",
    "NamedPipeConnection",
]

_T = TypeVar("_T")
_Self = TypeVar("_Self")

# Chunk size of `async for chunk in pipe`.
_ITER_CHUNK = 65536
# The blocking calls' retry intervals where the OS offers nothing to wait on
# (cc/platform/io/unix_socket.cc, cc/file_channel/channel_file.cc,
# cc/platform/watch/dir_watcher.h).
_CONNECT_RETRY = (0.001, 0.050)
_LOCK_RETRY = (0.00005, 0.010)
_WATCH_POLL = (0.001, 0.020)


# --- waiting helpers ----------------------------------------------------------


def _check_timeout(timeout: Optional[float]) -> Optional[float]:
    """None for no limit, else a number of seconds >= 0 (inf: no limit)."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, not {type(timeout).__name__}")
    if math.isnan(timeout) or timeout < 0:
        raise ValueError(f"timeout must be >= 0 seconds, got {timeout}")
    return None if math.isinf(timeout) else float(timeout)


async def _within(awaitable: Awaitable[_T], timeout: Optional[float], what: str) -> _T:
    """Awaits `awaitable`, cancelling it after `timeout` seconds (None: no limit)
    and then raising IpcTimeoutError naming `what`."""
    limit = _check_timeout(timeout)
    if limit is None:
        return await awaitable
    try:
        async with asyncio.timeout(limit):
            return await awaitable
    except TimeoutError:
        raise IpcTimeoutError(f"{what} timed out after {limit:g} s") from None


class _Ready:
    """Tasks waiting for one descriptor to become readable (or writable), woken
    together through a single loop registration that exists only while someone
    waits."""

    __slots__ = ("_loop", "fd", "_write", "_waiters")

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int, write: bool) -> None:
        self._loop = loop
        self.fd = fd
        self._write = write
        self._waiters: list[asyncio.Future[None]] = []

    async def wait(self) -> None:
        if self.fd < 0:
            raise ClosedError("nothing to wait on: the connection is closed")
        fut: asyncio.Future[None] = self._loop.create_future()
        if not self._waiters:
            if self._write:
                self._loop.add_writer(self.fd, self._fire)
            else:
                self._loop.add_reader(self.fd, self._fire)
        self._waiters.append(fut)
        try:
            await fut
        finally:
            if fut.cancelled() and fut in self._waiters:
                self._waiters.remove(fut)
                if not self._waiters:
                    self._unregister()

    def _unregister(self) -> None:
        if self._write:
            self._loop.remove_writer(self.fd)
        else:
            self._loop.remove_reader(self.fd)

    def _fire(self) -> None:
        waiters, self._waiters = self._waiters, []
        self._unregister()
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    def close(self) -> None:
        """Unregisters and wakes every waiter (each then finds out why)."""
        if self._waiters:
            self._fire()
        self.fd = -1


class _LoopBound:
    """The event loop an object uses: the first one that awaits on it."""

    _loop: Optional[asyncio.AbstractEventLoop] = None

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError(f"{type(self).__name__} is used by another event loop")
        return loop


class _Wrapper(_LoopBound):
    """One blocking object on the event loop, and the task (if any) that
    finishes what a cancelled send or write started on its connection."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._background: Optional[asyncio.Task[None]] = None

    @property
    def raw(self) -> Any:
        """The blocking object this one wraps."""
        return self._raw

    @property
    def closed(self) -> bool:
        """True after close()."""
        return bool(self._raw.closed)

    def _in_background(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Runs `coro` as the background task. Nobody may await it (the call
        that started it was cancelled): a failure shows in the next call on the
        connection, so the task itself stays quiet."""
        task = self._bind().create_task(coro)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        self._background = task
        return task

    def _drop_background(self) -> None:
        """The connection goes away: so does what was still going out on it."""
        if self._background is not None:
            self._background.cancel()
            self._background = None

    def _unregister(self) -> None:
        """Removes every loop registration on the connection's descriptors
        (before the core closes one whose number a new one may reuse); the
        waiters wake, and wait again on whatever is current then."""

    def _forget(self) -> None:
        """Drops what belongs to a connection that is gone or replaced."""
        self._drop_background()

    def _detach(self) -> None:
        self._unregister()
        self._forget()

    def close(self) -> None:
        """Close at once (what a cancelled send or write still had to send is
        dropped, as the blocking close does). Idempotent; later calls raise
        ClosedError."""
        self._detach()
        self._raw.close()

    async def aclose(self) -> None:
        """Let what a cancelled send or write still had to send go out, then close."""
        try:
            task = self._background
            if task is not None and not task.done() and not self._raw.closed:
                await asyncio.shield(task)
        except Exception:
            pass  # the peer went away: nothing left to finish
        finally:
            self.close()

    async def __aenter__(self: _Self) -> _Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _ready_for(holder: Optional[_Ready], loop: asyncio.AbstractEventLoop, fd: int,
               write: bool) -> _Ready:
    """`holder` if it still watches `fd`, else a new _Ready for it."""
    if holder is not None and holder.fd == fd:
        return holder
    if holder is not None:
        holder.close()
    return _Ready(loop, fd, write)


async def _retry_with_backoff(attempt: Callable[[], Optional[_T]], bounds: tuple[float, float]) -> _T:
    """Calls `attempt` until it returns something, sleeping between tries with a
    doubling backoff within `bounds` (only for waits no descriptor reports)."""
    delay, longest = bounds
    while True:
        result = attempt()
        if result is not None:
            return result
        await asyncio.sleep(delay)
        delay = min(delay * 2, longest)


# --- messages: IpcChannel and IpcChannelConnection ---------------------------


class _Messages(_Wrapper):
    """send/recv of whole messages over an IpcChannel connection."""

    def __init__(self, raw: Any) -> None:
        super().__init__(raw)
        self._inbox: collections.deque[bytes] = collections.deque()
        self._recv_error: Optional[BaseException] = None
        self._recv_waiters: list[asyncio.Future[None]] = []
        self._reading_fd = -1  # registered with add_reader while >= 0
        self._writable: Optional[_Ready] = None

    # -- receiving

    def _pull(self) -> None:
        """Moves the messages available now into the inbox (or the end of the
        stream into _recv_error). Never waits."""
        try:
            got = self._raw._aio_recv_batch()
        except Exception as error:  # the stream's end, or closed
            self._recv_error = error
            self._stop_reading()
            return
        if got:
            self._inbox.extend(got)

    def _on_readable(self) -> None:
        self._pull()
        waiters = self._recv_waiters
        if waiters:
            self._recv_waiters = []
            for fut in waiters:
                if not fut.done():
                    fut.set_result(None)
        elif self._inbox:
            # Nobody is receiving: stop reading ahead until someone does.
            self._stop_reading()

    def _stop_reading(self) -> None:
        if self._reading_fd >= 0:
            assert self._loop is not None
            self._loop.remove_reader(self._reading_fd)
            self._reading_fd = -1

    def _raise_recv_error(self) -> None:
        error, self._recv_error = self._recv_error, None
        if error is not None:
            raise error

    def _start_reading(self, loop: asyncio.AbstractEventLoop) -> None:
        """Takes what is there already; if nothing, registers with the loop."""
        self._raise_recv_error()
        self._pull()
        if self._inbox:
            return
        self._raise_recv_error()
        fd = self._raw._aio_fileno()
        loop.add_reader(fd, self._on_readable)
        self._reading_fd = fd

    async def recv(self, *, timeout: Optional[float] = None) -> bytes:
        """Receive one message as bytes.

        PeerClosedError when the peer closed between messages; TruncatedError if
        it closed mid-message; IpcTimeoutError after `timeout` seconds (0: only a
        message that is already there). Cancelled, it loses nothing: a message
        is returned or stays in the object for the next recv."""
        inbox = self._inbox
        if inbox:
            return inbox.popleft()
        if timeout is not None:
            return await self._recv_within(timeout)
        if self._reading_fd >= 0 and self._recv_error is None:
            # The hot path of a round trip: one attempt first (the reply is
            # often there by now, which saves two turns of the loop).
            try:
                got = self._raw._aio_recv_batch()
            except Exception as error:  # the stream's end, or closed
                self._recv_error = error
                self._stop_reading()
            else:
                if got:
                    if len(got) > 1:
                        inbox.extend(got[1:])
                    first: bytes = got[0]
                    return first
        return await self._recv_wait()

    async def _recv_wait(self) -> bytes:
        """Waits on the loop: the socket stays registered between calls, and
        the wake-up brings the message along into the inbox."""
        loop = self._bind()
        inbox = self._inbox
        while True:
            if self._reading_fd < 0 or self._recv_error is not None:
                self._start_reading(loop)
                if inbox:
                    return inbox.popleft()
            fut = loop.create_future()
            self._recv_waiters.append(fut)
            try:
                await fut
            finally:
                if fut.cancelled() and fut in self._recv_waiters:
                    self._recv_waiters.remove(fut)
            if inbox:
                return inbox.popleft()

    async def _recv_within(self, timeout: float) -> bytes:
        if _check_timeout(timeout) == 0:  # no wait: only what the socket holds now
            self._pull()
            if self._inbox:
                return self._inbox.popleft()
            self._raise_recv_error()
            raise IpcTimeoutError("recv: no message is waiting (timeout=0)")
        return await _within(self.recv(), timeout, "recv")

    async def recv_json(self, *, timeout: Optional[float] = None) -> Any:
        """Receive one message and parse it as JSON (as ipckit.json_loads)."""
        return json_loads(await self.recv(timeout=timeout))

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        while True:
            try:
                message = await self.recv()
            except PeerClosedError:
                return
            yield message

    # -- sending

    def _writable_ready(self, loop: asyncio.AbstractEventLoop) -> _Ready:
        self._writable = _ready_for(self._writable, loop, self._raw._aio_fileno(), write=True)
        return self._writable

    async def _flush(self) -> None:
        """Pushes the committed frame's pending tail out; runs as its own task
        so that cancelling the send that started it does not stop it."""
        loop = self._bind()
        while not self._raw._aio_flush():
            await self._writable_ready(loop).wait()

    def _start_flush(self) -> asyncio.Task[None]:
        task = self._background
        if task is None or task.done():
            task = self._in_background(self._flush())
        return task

    async def _send_wait(self, data: Buffer, outcome: int) -> None:
        loop = self._bind()
        while outcome == 0:  # nothing of this message is out yet
            await self._writable_ready(loop).wait()
            outcome = self._raw._aio_send(data)
        if outcome == 2:  # committed: the rest goes out even if we are cancelled
            await asyncio.shield(self._start_flush())

    async def send(self, data: Buffer, *, timeout: Optional[float] = None) -> None:
        """Send bytes-like `data` as one message, whole or not at all.

        Returns once the whole frame is in the kernel. TooLargeError (a
        ValueError) over max_payload, before anything is sent; PeerClosedError if
        the peer is gone; IpcTimeoutError after `timeout` seconds. Cancelled
        before its first byte went out, nothing is sent; after, the rest of the
        frame still goes out from the event loop."""
        outcome = self._raw._aio_send(data)
        if outcome == 1:
            return
        if timeout is None:
            await self._send_wait(data, outcome)
        else:
            await _within(self._send_wait(data, outcome), timeout, "send")

    async def send_json(self, obj: JsonValue, *, timeout: Optional[float] = None) -> None:
        """Send `obj` as one message of compact JSON (the bytes of
        ipckit.json_dumps(obj).encode())."""
        await self.send(json_dumps(obj).encode(), timeout=timeout)

    # -- closing

    def _unregister(self) -> None:
        self._stop_reading()
        waiters, self._recv_waiters = self._recv_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)
        if self._writable is not None:
            self._writable.close()
            self._writable = None

    def _forget(self) -> None:
        self._inbox.clear()
        self._recv_error = None
        super()._forget()



class IpcChannelConnection(_Messages):
    """One client of an aio.IpcChannel server, as returned by accept(): its own
    send/recv, independent of the server's current client.
    `aio.IpcChannelConnection(raw)` wraps a blocking ipckit.IpcChannelConnection."""

    def __init__(self, raw: _core.IpcChannelConnection) -> None:
        super().__init__(raw)

    def __repr__(self) -> str:
        return f"<ipckit.aio.IpcChannelConnection{' closed' if self.closed else ''}>"


class _Server(Generic[_T]):
    """accept / wait_for_client on the listening socket of a server."""

    _listener: Optional[_Ready] = None

    if TYPE_CHECKING:  # from the class it is mixed into
        _raw: Any

        def _bind(self) -> asyncio.AbstractEventLoop: ...

        def _unregister(self) -> None: ...

        def _forget(self) -> None: ...

        def _detach(self) -> None: ...

        def _wrap_connection(self, raw: Any) -> _T: ...

    async def _when_listening(self, attempt: Callable[[], Any]) -> Any:
        loop = self._bind()
        while True:
            result = attempt()
            if result is not None and result is not False:
                return result
            self._listener = _ready_for(self._listener, loop, self._raw._aio_listener_fileno(),
                                        write=False)
            await self._listener.wait()

    def _take_current(self) -> Optional[bool]:
        # The old connection's registrations go before the core may close its
        # descriptor (whose number the new one may reuse); what was read from
        # it goes only once it is replaced (no client waiting: it stays).
        self._unregister()
        if not self._raw._aio_wait_for_client():
            return None
        self._forget()
        return True

    async def wait_for_client(self, *, timeout: Optional[float] = None) -> None:
        """Server: take the next client as the current connection (closing any
        previous one; what was received from it and not yet returned is dropped).
        IpcTimeoutError after `timeout` seconds; a client that connects later
        waits for the next call."""
        await _within(self._when_listening(self._take_current), timeout, "wait_for_client")

    async def accept(self, *, timeout: Optional[float] = None) -> _T:
        """Server: accept one more client as its own connection object, to serve
        (typically in its own task) beside the others."""
        raw = await _within(self._when_listening(self._raw._aio_accept), timeout, "accept")
        return self._wrap_connection(raw)

    def disconnect(self) -> None:
        """Close the current connection; wait_for_client() can then take the next."""
        self._detach()
        self._raw.disconnect()

    @property
    def name(self) -> str:
        """The name given to create/connect."""
        return str(self._raw.name)

    @property
    def path(self) -> str:
        """The socket file's path."""
        return str(self._raw.path)

    @property
    def is_server(self) -> bool:
        """True for the end made by create(), False for connect()."""
        return bool(self._raw.is_server)

    @property
    def is_connected(self) -> bool:
        """True while there is a current connection."""
        return bool(self._raw.is_connected)

    def _close_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None


async def _connect(connect: Callable[..., Any], name: Any, timeout: Optional[float],
                   **options: Any) -> Any:
    """The blocking class's connect, never waiting in it: one attempt without a
    timeout (NotFoundError at once if nobody serves the name, as the blocking
    connect); with one, retried until a server appears."""
    limit = _check_timeout(timeout)
    if timeout is None:
        return connect(name, **options)

    def attempt() -> Any:
        try:
            return connect(name, **options)  # one attempt, never waiting
        except (FileNotFoundError, IpcTimeoutError):  # no server yet; its backlog full
            return None

    return await _within(_retry_with_backoff(attempt, _CONNECT_RETRY),
                         math.inf if limit is None else limit, f"connect to {name!s}")


class IpcChannel(_Server[IpcChannelConnection], _Messages):
    """An ipckit.IpcChannel on the event loop: every send() arrives as one recv().

        server = aio.IpcChannel.create("jobs")            # never waits
        await server.wait_for_client(timeout=30)
        request = await server.recv()

        client = await aio.IpcChannel.connect("jobs", timeout=5)   # another process
        await client.send(b"work")

    A server talks to one current client (wait_for_client, then send/recv on the
    server) or accepts more as IpcChannelConnection objects. The wire format is
    the blocking class's, so either side may be blocking, asyncio, C++ or JS.
    `aio.IpcChannel(raw)` wraps an existing blocking ipckit.IpcChannel."""

    def __init__(self, raw: _core.IpcChannel) -> None:
        _Messages.__init__(self, raw)

    @classmethod
    def create(cls, name: Any, *, max_payload: int = _core.DEFAULT_MAX_PAYLOAD,
               allow_other_users: bool = False) -> IpcChannel:
        """Start a server (as ipckit.IpcChannel.create; it does not wait, so it is
        not a coroutine)."""
        return cls(_core.IpcChannel.create(name, max_payload=max_payload,
                                           allow_other_users=allow_other_users))

    @classmethod
    async def connect(cls, name: Any, *, timeout: Optional[float] = None,
                      max_payload: int = _core.DEFAULT_MAX_PAYLOAD,
                      allow_other_users: bool = False) -> IpcChannel:
        """Connect to server `name`. Without a timeout, one attempt:
        NotFoundError at once if nobody serves it. With `timeout` seconds, wait
        that long for a server to appear (no event reports one: retried after
        1, 2, 4 .. 50 ms), then IpcTimeoutError."""
        raw = await _connect(_core.IpcChannel.connect, name, timeout, max_payload=max_payload,
                             allow_other_users=allow_other_users)
        return cls(raw)

    def _wrap_connection(self, raw: Any) -> IpcChannelConnection:
        return IpcChannelConnection(raw)

    @property
    def max_payload(self) -> int:
        """The largest message this end sends or accepts, in bytes."""
        return int(self._raw.max_payload)

    def close(self) -> None:
        """Close the connection and, on a server, the listening socket."""
        self._close_listener()
        _Messages.close(self)

    def __repr__(self) -> str:
        return (f"<ipckit.aio.IpcChannel '{self.name}' {'server' if self.is_server else 'client'}"
                f"{' closed' if self.closed else ''}>")


# --- byte streams: NamedPipe, NamedPipeConnection, AnonymousPipe --------------


class _Stream(_Wrapper):
    """read/read_exact/write of a byte stream; `_read_fd()`/`_write_fd()` name
    the descriptors."""

    def __init__(self, raw: Any) -> None:
        super().__init__(raw)
        self._kept = bytearray()  # bytes a cancelled or failed read_exact got
        self._readable: Optional[_Ready] = None
        self._writable: Optional[_Ready] = None
        self._write_lock: Optional[asyncio.Lock] = None

    def _read_fd(self) -> int:
        return int(self._raw._aio_fileno())

    def _write_fd(self) -> int:
        return int(self._raw._aio_fileno())

    async def _wait_readable(self) -> None:
        loop = self._bind()
        self._readable = _ready_for(self._readable, loop, self._read_fd(), write=False)
        await self._readable.wait()

    async def _wait_writable(self) -> None:
        loop = self._bind()
        self._writable = _ready_for(self._writable, loop, self._write_fd(), write=True)
        await self._writable.wait()

    # -- reading

    def _take_kept(self, size: int) -> bytes:
        out = bytes(self._kept[:size])
        del self._kept[:size]
        return out

    async def _read_wait(self, size: int) -> bytes:
        while True:
            data = self._raw._aio_read(size)
            if data is not None:
                return bytes(data)
            await self._wait_readable()

    async def read(self, size: int, *, timeout: Optional[float] = None) -> bytes:
        """Read up to `size` bytes once some are available; b'' at end of stream.
        IpcTimeoutError if nothing arrives within `timeout` seconds."""
        if size < 0:
            raise ValueError(f"size must be >= 0, got {size}")
        if self._kept:
            return self._take_kept(size)
        data = self._raw._aio_read(size)
        if data is not None:
            return bytes(data)
        return await _within(self._read_wait(size), timeout, "read")

    async def _read_exact_wait(self, size: int) -> bytes:
        kept = self._kept
        while len(kept) < size:
            data = self._raw._aio_read(size - len(kept))
            if data is None:
                await self._wait_readable()
            elif not data:
                if not kept:
                    raise PeerClosedError(f"read_exact({size}): the peer closed the stream")
                raise TruncatedError(f"read_exact({size}): the stream ended after {len(kept)} bytes "
                                     "(they are kept for the next read)")
            else:
                kept += data
        return self._take_kept(size)

    async def read_exact(self, size: int, *, timeout: Optional[float] = None) -> bytes:
        """Read exactly `size` bytes. PeerClosedError if the stream ends before the
        first, TruncatedError after some. Timed out or cancelled, the bytes it got
        stay in the object and come first from the next read."""
        if size < 0:
            raise ValueError(f"size must be >= 0, got {size}")
        return await _within(self._read_exact_wait(size), timeout, "read_exact")

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        while True:
            chunk = await self.read(_ITER_CHUNK)
            if not chunk:
                return
            yield chunk

    # -- writing

    async def _finish_tail(self, tail: bytes, lock: asyncio.Lock) -> None:
        """Writes the rest of a cancelled write (holding its turn), so that a
        write() goes out whole."""
        try:
            view = memoryview(tail)
            while view:
                n = self._raw._aio_write(view)
                view = view[n:]
                if view:
                    await self._wait_writable()
        finally:
            lock.release()

    async def _write_all(self, view: memoryview, done: int) -> int:
        """Writes view[done:] (done > 0: the caller already wrote the start)."""
        total = len(view)
        lock = self._write_lock
        if lock is None:
            lock = self._write_lock = asyncio.Lock()
        await lock.acquire()  # at once if free: nothing else writes in between
        try:
            while done < total:
                done += self._raw._aio_write(view[done:])
                if done < total:
                    await self._wait_writable()
        except BaseException as error:
            if 0 < done < total and isinstance(error, asyncio.CancelledError):
                # Started: finish it from the loop; the turn passes to that task.
                self._in_background(self._finish_tail(bytes(view[done:]), lock))
                raise
            lock.release()
            raise
        lock.release()
        return total

    async def write(self, data: Buffer, *, timeout: Optional[float] = None) -> int:
        """Write all of bytes-like `data` and return len(data), whole or not at
        all: cancelled (or timed out) after its first byte went out, the rest
        still goes out from the event loop before any later write.
        PeerClosedError if the reader is gone."""
        view = memoryview(data).cast("B")
        done = 0
        lock = self._write_lock
        if lock is None or not lock.locked():
            done = int(self._raw._aio_write(view))
            if done == len(view):
                return done
        return await _within(self._write_all(view, done), timeout, "write")

    async def write_all(self, data: Buffer, *, timeout: Optional[float] = None) -> int:
        """The same as write(): all of `data`."""
        return await self.write(data, timeout=timeout)

    async def _write_some_wait(self, data: Buffer) -> int:
        lock = self._write_lock
        if lock is None:
            lock = self._write_lock = asyncio.Lock()
        async with lock:
            while True:
                n = int(self._raw._aio_write(data))
                if n or not memoryview(data).nbytes:
                    return n
                await self._wait_writable()

    async def write_some(self, data: Buffer, *, timeout: Optional[float] = None) -> int:
        """One short write: some of `data` (at least one byte, once there is
        room); returns how many bytes were written."""
        return await _within(self._write_some_wait(data), timeout, "write_some")

    # -- closing

    def _unregister(self) -> None:
        for ready in (self._readable, self._writable):
            if ready is not None:
                ready.close()
        self._readable = self._writable = None

    def _forget(self) -> None:
        self._kept.clear()
        super()._forget()


class NamedPipeConnection(_Stream):
    """One client of an aio.NamedPipe server, as returned by accept().
    `aio.NamedPipeConnection(raw)` wraps a blocking ipckit.NamedPipeConnection."""

    def __init__(self, raw: _core.NamedPipeConnection) -> None:
        super().__init__(raw)

    def __repr__(self) -> str:
        return f"<ipckit.aio.NamedPipeConnection{' closed' if self.closed else ''}>"


class NamedPipe(_Server[NamedPipeConnection], _Stream):
    """An ipckit.NamedPipe (a byte stream between processes that meet by name)
    on the event loop.

        server = aio.NamedPipe.create("logs")
        await server.wait_for_client(timeout=30)
        async for chunk in server:              # until the client closes
            sys.stdout.buffer.write(chunk)

        client = await aio.NamedPipe.connect("logs", timeout=5)   # another process
        await client.write(b"hello\\n")

    `aio.NamedPipe(raw)` wraps an existing blocking ipckit.NamedPipe."""

    def __init__(self, raw: _core.NamedPipe) -> None:
        _Stream.__init__(self, raw)

    @classmethod
    def create(cls, name: Any, *, allow_other_users: bool = False) -> NamedPipe:
        """Start a server (as ipckit.NamedPipe.create; never waits)."""
        return cls(_core.NamedPipe.create(name, allow_other_users=allow_other_users))

    @classmethod
    async def connect(cls, name: Any, *, timeout: Optional[float] = None,
                      allow_other_users: bool = False) -> NamedPipe:
        """Connect to server `name`, as aio.IpcChannel.connect."""
        raw = await _connect(_core.NamedPipe.connect, name, timeout,
                             allow_other_users=allow_other_users)
        return cls(raw)

    def _wrap_connection(self, raw: Any) -> NamedPipeConnection:
        return NamedPipeConnection(raw)

    def close(self) -> None:
        """Close the connection and, on a server, the listening socket."""
        self._close_listener()
        _Stream.close(self)

    def __repr__(self) -> str:
        return (f"<ipckit.aio.NamedPipe '{self.name}' {'server' if self.is_server else 'client'}"
                f"{' closed' if self.closed else ''}>")


class AnonymousPipe(_Stream):
    """An ipckit.AnonymousPipe (one-way, e.g. to a child process) on the event loop.

        pipe = aio.AnonymousPipe()                 # both ends here
        child = subprocess.Popen([..., str(pipe.writer_fd())], pass_fds=[pipe.writer_fd()])
        pipe.close_writer()                        # only the child writes now
        async for chunk in pipe:                   # until the child closes its end
            ...

    A child that uses ipckit wraps its end with
    aio.AnonymousPipe.from_fds(writer_fd=fd). Hand ends over with the blocking
    object's methods (`.raw.detach_writer()`, ...) before waiting on them here."""

    def __init__(self, raw: Optional[_core.AnonymousPipe] = None) -> None:
        super().__init__(_core.AnonymousPipe() if raw is None else raw)

    @classmethod
    def from_fds(cls, reader_fd: int = -1, writer_fd: int = -1) -> AnonymousPipe:
        """Adopt pipe ends inherited from a parent (-1: not held)."""
        return cls(_core.AnonymousPipe.from_fds(reader_fd, writer_fd))

    def _read_fd(self) -> int:
        return int(self._raw.reader_fd())

    def _write_fd(self) -> int:
        return int(self._raw.writer_fd())

    def reader_fd(self) -> int:
        """The read end's fd, or -1 if not held."""
        return int(self._raw.reader_fd())

    def writer_fd(self) -> int:
        """The write end's fd, or -1 if not held."""
        return int(self._raw.writer_fd())

    def close_reader(self) -> None:
        """Close the read end here (waiting reads raise ClosedError)."""
        if self._readable is not None:
            self._readable.close()
            self._readable = None
        self._raw.close_reader()

    def close_writer(self) -> None:
        """Close the write end here (readers see end of stream once every copy is
        closed)."""
        if self._writable is not None:
            self._writable.close()
            self._writable = None
        self._raw.close_writer()

    def __repr__(self) -> str:
        if self.closed:
            return "<ipckit.aio.AnonymousPipe closed>"
        return f"<ipckit.aio.AnonymousPipe reader_fd={self.reader_fd()} writer_fd={self.writer_fd()}>"


# --- FileChannel ----------------------------------------------------------------


class FileChannel(_Wrapper):
    """An ipckit.FileChannel (backend <-> frontend messages through JSON files)
    on the event loop, woken by inotify.

        channel = aio.FileChannel.backend("./ipc_channel")
        request_id = await channel.send_request("getData", {"key": "user_info"})
        response = await channel.wait_response(request_id, timeout=5)
        async for message in channel:              # every message, as it comes
            ...

    Messages are the blocking class's dicts. Sends write a file at once; they
    only wait while another writer holds the channel lock. recv() never waits
    and stays a plain method. `aio.FileChannel(raw)` wraps a blocking one."""

    def __init__(self, raw: _core.FileChannel) -> None:
        super().__init__(raw)
        self._change: Optional[_Ready] = None

    @classmethod
    def backend(cls, dir: Any, *, skip_existing: bool = False, fsync: bool = False,
                allow_shared_directory: bool = False, reader: Optional[str] = None,
                claim_requests: bool = True) -> FileChannel:
        """Open the backend side in `dir` (as ipckit.FileChannel.backend)."""
        return cls(_core.FileChannel.backend(dir, skip_existing=skip_existing, fsync=fsync,
                                             allow_shared_directory=allow_shared_directory,
                                             reader=reader, claim_requests=claim_requests))

    @classmethod
    def frontend(cls, dir: Any, *, skip_existing: bool = False, fsync: bool = False,
                 allow_shared_directory: bool = False, reader: Optional[str] = None,
                 claim_requests: bool = True) -> FileChannel:
        """Open the frontend side in `dir` (as ipckit.FileChannel.frontend)."""
        return cls(_core.FileChannel.frontend(dir, skip_existing=skip_existing, fsync=fsync,
                                              allow_shared_directory=allow_shared_directory,
                                              reader=reader, claim_requests=claim_requests))

    @property
    def raw(self) -> _core.FileChannel:
        """The blocking object this one wraps."""
        raw: _core.FileChannel = self._raw
        return raw

    @property
    def dir(self) -> str:
        return str(self._raw.dir)

    @property
    def side(self) -> str:
        return str(self._raw.side)

    @property
    def sender_id(self) -> str:
        return str(self._raw.sender_id)

    # -- sending

    async def _send(self, what: str, send: Callable[[], str], timeout: Optional[float]) -> str:
        def attempt() -> Optional[str]:
            try:
                return send()
            except IpcTimeoutError:  # another writer holds the channel lock
                return None

        first = attempt()
        if first is not None:
            return first
        return await _within(_retry_with_backoff(attempt, _LOCK_RETRY), timeout, what)

    async def send_request(self, method: str, params: JsonValue = None, *,
                           timeout: Optional[float] = None) -> str:
        """Send a request; returns its id. `timeout` bounds only the wait for the
        channel lock."""
        return await self._send("send_request",
                                lambda: self._raw.send_request(method, params, timeout=0), timeout)

    async def send_response(self, request_id: str, result: JsonValue = None, *,
                            timeout: Optional[float] = None) -> str:
        """Answer request `request_id` with `result`; returns the response's id."""
        return await self._send(
            "send_response", lambda: self._raw.send_response(request_id, result, timeout=0), timeout)

    async def send_error(self, request_id: str, error: str, *,
                         timeout: Optional[float] = None) -> str:
        """Answer request `request_id` with an error message."""
        return await self._send(
            "send_error", lambda: self._raw.send_error(request_id, error, timeout=0), timeout)

    async def send_event(self, name: str, payload: JsonValue = None, *,
                         timeout: Optional[float] = None) -> str:
        """Send event `name` with `payload`; returns its id."""
        return await self._send(
            "send_event", lambda: self._raw.send_event(name, payload, timeout=0), timeout)

    async def clear(self, *, timeout: Optional[float] = None) -> None:
        """Empty both channel files (as the blocking clear())."""
        def attempt() -> Optional[bool]:
            try:
                self._raw.clear(timeout=0)
                return True
            except IpcTimeoutError:
                return None

        if attempt() is None:
            await _within(_retry_with_backoff(attempt, _LOCK_RETRY), timeout, "clear")

    # -- receiving

    def recv(self) -> list[FileMessage]:
        """All messages not yet received, oldest first; never waits."""
        return list(self._raw.recv())

    async def _changed(self) -> bool:
        """Waits until the incoming file may have changed."""
        loop = self._bind()
        fd = self._raw._aio_change_fd()
        if fd >= 0:
            self._change = _ready_for(self._change, loop, fd, write=False)
            await self._change.wait()
        else:  # no inotify here: the blocking waits poll as well
            delay = _WATCH_POLL[0]
            while not self._raw._aio_take_change():
                await asyncio.sleep(delay)
                delay = min(delay * 2, _WATCH_POLL[1])
            return True
        return bool(self._raw._aio_take_change())

    async def _until(self, attempt: Callable[[], Optional[_T]]) -> _T:
        self._raw._aio_change_fd()  # armed before the first look: no change is missed
        while True:
            result = attempt()
            if result is not None:
                return result
            while not await self._changed():
                pass

    async def recv_one(self, *, timeout: Optional[float] = None) -> FileMessage:
        """The next message, waiting for it (unlike the blocking recv_one, whose
        default is not to wait). IpcTimeoutError after `timeout` seconds."""
        return await _within(self._until(lambda: self._raw.recv_one(timeout=0)), timeout,
                             "recv_one")

    async def wait_response(self, request_id: str, *,
                            timeout: Optional[float] = None) -> FileMessage:
        """The response to `request_id`; other messages stay queued for recv."""
        def attempt() -> Optional[FileMessage]:
            try:
                response: FileMessage = self._raw.wait_response(request_id, timeout=0)
                return response
            except IpcTimeoutError:
                return None

        return await _within(self._until(attempt), timeout, "wait_response")

    async def wait_for_messages(self, *, timeout: Optional[float] = None) -> None:
        """Wait until recv() has something to return."""
        def attempt() -> Optional[bool]:
            try:
                self._raw.wait_for_messages(timeout=0)
                return True
            except IpcTimeoutError:
                return None

        await _within(self._until(attempt), timeout, "wait_for_messages")

    def __aiter__(self) -> AsyncIterator[FileMessage]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[FileMessage]:
        while True:
            yield await self.recv_one()

    # -- closing

    def _unregister(self) -> None:
        if self._change is not None:
            self._change.close()
            self._change = None

    def __repr__(self) -> str:
        return (f"<ipckit.aio.FileChannel {self.side} '{self.dir}'"
                f"{' closed' if self.closed else ''}>")
