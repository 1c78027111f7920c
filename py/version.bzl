"""The ipckit library version, shared by the extension, the wheel and its metadata.

The wire format version (spec/conventions.md) is separate and lives in the C++ core.
"""

IPCKIT_VERSION = "0.2.0"
