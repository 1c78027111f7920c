"""Checked with `mypy --strict --python-version 3.12` by py/run_tests.sh
(never run): the stub accepts what users pass. 3.12 because numpy's stubs
declare ndarray.__buffer__ and take any PEP 688 buffer in frombuffer() only
from 3.12; under 3.11 a checker wants memoryview(shm) and bytes(array)."""

import array

import numpy as np
import numpy.typing as npt

import ipckit


def shared_floats(name: str) -> npt.NDArray[np.float64]:
    with ipckit.SharedMemory.create(name, 8 * 4) as shm:
        shm.write(0, np.arange(4, dtype=np.float64))
        shm.write(0, array.array("d", [1.0, 2.0]))
        values: npt.NDArray[np.float64] = np.frombuffer(shm, dtype=np.float64)
        return values.copy()


def json_of_plain_containers() -> str:
    counts: dict[str, int] = {"a": 1}
    names: list[str] = ["x"]
    return ipckit.json_dumps(counts) + ipckit.json_dumps(names)
