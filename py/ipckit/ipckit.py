"""ipckit.ipckit: every name of ipckit 0.1.12's native module, in one place.

    >>> from ipckit.ipckit import TaskManager, EventBus, LocalSocketListener, json_dumps

0.1 programs import from here; new code may import the same names from
`ipckit`. The classes live in the extension (ipckit._ipckit) and in the
pure-Python modules beside this one.
"""

from ipckit._ipckit import (  # noqa: F401
    AnonymousPipe,
    FileChannel,
    IpcChannel,
    NamedPipe,
    SharedMemory,
    __version__,
    json_dumps,
    json_dumps_pretty,
    json_loads,
)
from ipckit._api import ApiClient, ApiServer, ApiServerConfig  # noqa: F401
from ipckit._cli_bridge import CliBridge, CliBridgeConfig, CommandOutput, wrap_command  # noqa: F401
from ipckit._events import (  # noqa: F401
    Event,
    EventBus,
    EventBusConfig,
    EventFilter,
    EventPublisher,
    EventSubscriber,
)
from ipckit._graceful import GracefulIpcChannel, GracefulNamedPipe  # noqa: F401
from ipckit._http_message import Request, Response  # noqa: F401
from ipckit._local_socket import LocalSocketListener, LocalSocketStream  # noqa: F401
from ipckit._metrics import ChannelMetrics, MetricsSnapshot  # noqa: F401
from ipckit._progress import ProgressInfo, parse_progress  # noqa: F401
from ipckit._tasks import (  # noqa: F401
    CancellationToken,
    TaskBuilder,
    TaskFilter,
    TaskHandle,
    TaskInfo,
    TaskManager,
    TaskManagerConfig,
    TaskStatus,
)

__all__ = sorted(name for name in dir() if not name.startswith("_")) + ["__version__"]
