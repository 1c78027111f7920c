#!/usr/bin/env bash
# Sourced by the scripts that run Windows programs under Wine
# (tools/wine_test.sh, conformance/run_tests.sh --windows):
#
#   source tools/wine_env.sh
#   wine_env_start wine_test           # WINEPREFIX ready, one wineserver running
#   trap wine_env_stop EXIT
#   WINEDEBUG=-all wine prog.exe
#
# The Wine prefix is created once, under ~/.cache/ipckit-wine (first run:
# ~20 s); IPCKIT_WINEPREFIX overrides the location.

# wine_env_start LABEL: exports WINEPREFIX (creating the prefix if needed) and
# starts the run's wineserver. LABEL prefixes the messages.
wine_env_start() {
  local label="$1"
  export WINEPREFIX="${IPCKIT_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/ipckit-wine}"
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    echo "$label: creating the Wine prefix $WINEPREFIX"
    mkdir -p "$WINEPREFIX"
    # wine64 only: wineboot's complaint about the 32-bit rundll32 is harmless.
    WINEDEBUG=-all wineboot -i >/dev/null 2>&1 || true
    WINEDEBUG=-all wineserver -w
    [ -f "$WINEPREFIX/system.reg" ] || { echo "$label: wineboot did not create $WINEPREFIX" >&2; return 1; }
  fi
  # One wineserver for the whole run (-p: it does not quit when idle), stopped
  # by wine_env_stop. Left to itself it quits 3 s after its last client and the
  # next program starts a new one; with that, tests run in parallel on a loaded
  # machine now and then hung in a wait on a server that had gone (seen in 3 of
  # ~12 runs of pipe_win_test x4); with one server for the run, never in 40.
  WINEDEBUG=-all wineserver -p || true  # fails harmlessly if one is running
}

wine_env_stop() {
  WINEDEBUG=-all wineserver -k >/dev/null 2>&1 || true
}
