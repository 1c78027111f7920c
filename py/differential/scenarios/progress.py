"""parse_progress and ProgressInfo on percentage, fraction and progress-bar lines."""
from _common import report
import ipckit

LINES = ["Downloading 42%", "[=====>    ] 50%", "step 3/8", "3 / 8 done", "1234%", "250%", "no progress",
         "0/0", "[###] 7% and 9/10", "\u0664\u0662%", "99999999999999999999/2"]
out = {}
for kind in ("all", "percentage", "fraction", "progress_bar", "other"):
    for line in LINES:
        info = ipckit.parse_progress(line, kind)
        out["%s|%s" % (kind, line)] = None if info is None else [info.current, info.total, info.percentage, info.message]
p = ipckit.ProgressInfo(3, 8, "m")
out["info"] = [p.current, p.total, p.percentage, p.message, repr(p)]
out["info_zero"] = ipckit.ProgressInfo(5, 0).percentage
report(out)
