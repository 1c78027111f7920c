"""Progress lines of command-line tools, read as ipckit 0.1 reads them.

    >>> from ipckit import parse_progress
    >>> parse_progress("Downloading... 42%").percentage
    42
    >>> parse_progress("[3/8] building").current, parse_progress("[3/8] building").total
    (3, 8)

Three parsers, tried in this order by parser_type="all": a percentage
("42%"), a fraction ("3/8", "3 / 8"), a progress bar ("[===>  ] 42%"). Each
takes the first match in the line. Values are unsigned 64-bit, as in 0.1: a
number that does not fit, or digits outside ASCII, parse to None.
"""

import re
from typing import Optional

_U64_MAX = 2**64 - 1
_PERCENTAGE = re.compile(r"(\d{1,3})%")
_FRACTION = re.compile(r"(\d+)\s*/\s*(\d+)")
_BAR = re.compile(r"\[([=\-#>]+)\s*\]\s*(\d{1,3})%")


class ProgressInfo:
    """A progress reading: current of total, and an optional message."""

    __slots__ = ("_current", "_total", "_message")

    def __init__(self, current: int, total: int, message: Optional[str] = None) -> None:
        self._current = _u64(current, "current")
        self._total = _u64(total, "total")
        self._message = message

    @property
    def current(self) -> int:
        return self._current

    @property
    def total(self) -> int:
        return self._total

    @property
    def message(self) -> Optional[str]:
        return self._message

    @property
    def percentage(self) -> int:
        """current * 100 // total, at most 100; 0 when total is 0."""
        if self._total == 0:
            return 0
        return min(self._current * 100 // self._total, 100)

    def __repr__(self) -> str:
        return "ProgressInfo(current=%d, total=%d, percentage=%d%%)" % (
            self._current, self._total, self.percentage)


def _u64(value: int, what: str) -> int:
    value = int(value)
    if value < 0:
        raise OverflowError("%s must not be negative" % what)
    if value > _U64_MAX:
        raise OverflowError("%s does not fit in 64 bits" % what)
    return value


def _number(text: str) -> Optional[int]:
    if not text.isascii():
        return None  # \d matches any Unicode digit; 0.1 then fails to parse it
    value = int(text)
    return value if value <= _U64_MAX else None


def _percentage(line: str) -> Optional[ProgressInfo]:
    match = _PERCENTAGE.search(line)
    pct = _number(match.group(1)) if match else None
    return None if pct is None else ProgressInfo(min(pct, 100), 100)


def _fraction(line: str) -> Optional[ProgressInfo]:
    match = _FRACTION.search(line)
    if not match:
        return None
    current, total = _number(match.group(1)), _number(match.group(2))
    return None if current is None or total is None else ProgressInfo(current, total)


def _bar(line: str) -> Optional[ProgressInfo]:
    match = _BAR.search(line)
    pct = _number(match.group(2)) if match else None
    return None if pct is None else ProgressInfo(min(pct, 100), 100)


_PARSERS = {
    "percentage": (_percentage,),
    "fraction": (_fraction,),
    "progress_bar": (_bar,),
}
_ALL = (_percentage, _fraction, _bar)


def parse_progress(line: str, parser_type: str = "all") -> Optional[ProgressInfo]:
    """Progress in `line`, or None. parser_type: "percentage", "fraction",
    "progress_bar", or anything else for all three in that order."""
    for parser in _PARSERS.get(parser_type, _ALL):
        info = parser(line)
        if info is not None:
            return info
    return None
