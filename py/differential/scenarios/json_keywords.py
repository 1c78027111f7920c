"""json_dumps(obj=...) and json_loads(s=...) keep 0.1's keyword names."""
from _common import report
import ipckit

report({"dumps": ipckit.json_dumps(obj={"a": [1, 2.5, None]}),
        "pretty": ipckit.json_dumps_pretty(obj={"a": 1}),
        "loads": ipckit.json_loads(s='{"b": [true]}')})
