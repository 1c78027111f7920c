"""Checked with `mypy --strict` by py/run_tests.sh (never run): ipckit.aio's
stub types what its docstrings show."""

import asyncio

import numpy as np

import ipckit
from ipckit import FileMessage, aio


async def echo_server(name: str) -> None:
    async with aio.IpcChannel.create(name) as channel:
        await channel.wait_for_client(timeout=30)
        async for message in channel:
            await channel.send(message)
        await channel.send_json({"counts": {"a": 1}, "names": ["x"]})
        reply: bytes = await channel.recv(timeout=1.5)
        del reply


async def serve_each(name: str) -> None:
    async def one(conn: aio.IpcChannelConnection) -> None:
        async with conn:
            await conn.send(np.zeros(4, dtype=np.uint8))
            value = await conn.recv_json(timeout=5)
            del value

    async with aio.IpcChannel.create(name, max_payload=1 << 20) as channel:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(one(await channel.accept()))


async def client(name: str) -> int:
    async with await aio.NamedPipe.connect(name, timeout=5) as pipe:
        written: int = await pipe.write(bytearray(b"hi"))
        chunks = [chunk async for chunk in pipe]
        return written + len(chunks) + len(await pipe.read_exact(2, timeout=1))


async def pipes() -> bytes:
    pipe = aio.AnonymousPipe()
    wrapped = aio.AnonymousPipe(ipckit.AnonymousPipe())
    wrapped.close()
    await pipe.write_all(memoryview(b"abc"))
    return await pipe.read(3, timeout=1)


async def frontend(directory: str) -> list[FileMessage]:
    async with aio.FileChannel.frontend(directory) as channel:
        request_id = await channel.send_request("getData", {"key": "user_info"})
        response: FileMessage = await channel.wait_response(request_id, timeout=5)
        async with asyncio.timeout(1):
            event = await channel.recv_one()
        return [response, event, *channel.recv()]
