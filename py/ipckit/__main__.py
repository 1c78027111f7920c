"""The ipckit command line: `python -m ipckit {demo,send,listen,info,serve}`.

    python -m ipckit demo                  # all five methods between two processes
    python -m ipckit listen jobs           # print messages sent to IpcChannel "jobs"
    python -m ipckit send jobs "hello"     # send one message to it
    python -m ipckit info                  # version, platform, where names map
    python -m ipckit serve DIR --port 8765 # the FileChannel HTTP bridge for web pages
"""

import argparse
import os
import platform
import signal
import sys

import ipckit
from ipckit import _ipckit


def _cmd_demo(args):
    from ipckit import _demo

    return _demo.run_demo()


def _cmd_demo_peer(args):
    from ipckit import _demo

    return _demo.peer_main(args.tag, args.workdir, args.reader_fd, args.writer_fd)


def _cmd_send(args):
    with ipckit.IpcChannel.connect(args.name, timeout=args.timeout) as channel:
        channel.send(args.message.encode("utf-8"), timeout=args.timeout)
    return 0


def _cmd_listen(args):
    received = 0
    with ipckit.IpcChannel.create(args.name) as channel:
        print("listening on IpcChannel %r (%s); Ctrl-C stops" % (channel.name, channel.path),
              flush=True)
        while args.count is None or received < args.count:
            channel.wait_for_client()
            while args.count is None or received < args.count:
                try:
                    message = channel.recv()
                except ipckit.PeerClosedError:
                    break
                print(message.decode("utf-8", "replace"), flush=True)
                received += 1
            channel.disconnect()
    return 0


def _cmd_info(args):
    name = args.name
    rows = [
        ("ipckit", ipckit.__version__),
        ("wire format version", str(_ipckit.FORMAT_VERSION)),
        ("python", "%s (%s)" % (platform.python_version(), sys.executable)),
        ("platform", "%s %s %s" % (platform.system(), platform.release(), platform.machine())),
        ("extension", _ipckit.__file__),
        ("bundled libraries", os.path.join(os.path.dirname(_ipckit.__file__), ".libs")),
        ("max IpcChannel message", "%d bytes (default)" % _ipckit.DEFAULT_MAX_PAYLOAD),
        ("max JSON nesting", str(_ipckit.JSON_MAX_DEPTH)),
        ("name %r maps to:" % name, ""),
        ("  NamedPipe / IpcChannel", "Unix socket " + _ipckit.socket_path_for(name)),
    ]
    shm_object = _ipckit.shm_object_name_for(name)
    rows.append(("  SharedMemory", "POSIX shm object %s (/dev/shm%s)" % (shm_object, shm_object)))
    rows.append(("  FileChannel(dir)", "dir/backend_to_frontend.json, dir/frontend_to_backend.json"))
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        print("%-*s  %s" % (width, key, value) if value else key)
    return 0


def _cmd_serve(args):
    # SIGTERM (e.g. a test harness's kill) stops as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    with ipckit.BridgeServer(args.dir, args.port, args.allow_origin,
                             token=None if args.no_token else "",
                             allow_backend_writes=args.allow_backend_writes,
                             max_file_bytes=args.max_file_bytes,
                             static_dir=args.static) as bridge:
        if bridge.token is None:
            print(_ipckit.BRIDGE_NO_TOKEN_WARNING, file=sys.stderr, flush=True)
        print("ipckit bridge for %s on %s (Ctrl-C stops)" % (args.dir, bridge.url), flush=True)
        bridge.serve_forever()  # Ctrl-C ends it through main(), as for every command
    return 0


def _prog_name():
    # The `ipckit` console script runs main() with argv[0] ending in "ipckit";
    # `python -m ipckit` has argv[0] ".../__main__.py".
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "python -m ipckit" if script in ("", "__main__.py", "-m", "-c") else script


def _parser():
    parser = argparse.ArgumentParser(prog=_prog_name(), description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True,
                                     metavar="{demo,send,listen,info,serve}")
    commands.add_parser("demo", help="exchange messages with a second process over all five "
                                     "methods and print round-trip times").set_defaults(run=_cmd_demo)
    send = commands.add_parser("send", help="send one message to an IpcChannel server")
    send.add_argument("name")
    send.add_argument("message")
    send.add_argument("--timeout", type=float, default=10.0,
                      help="seconds to wait for the server (default 10)")
    send.set_defaults(run=_cmd_send)
    listen = commands.add_parser("listen", help="serve an IpcChannel and print each message")
    listen.add_argument("name")
    listen.add_argument("--count", type=int, default=None,
                        help="exit after this many messages (default: run until Ctrl-C)")
    listen.set_defaults(run=_cmd_listen)
    info = commands.add_parser("info", help="version, platform and where names map")
    info.add_argument("name", nargs="?", default="example", help="a name to map (default: example)")
    info.set_defaults(run=_cmd_info)
    serve = commands.add_parser("serve", help="serve a FileChannel directory to web pages over "
                                              "HTTP on 127.0.0.1 (the bridge, spec/bridge.md)")
    serve.add_argument("dir", help="the channel directory (created if missing)")
    serve.add_argument("--port", type=int, default=0, help="TCP port (default 0: any free port)")
    serve.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                       help="an origin (e.g. http://127.0.0.1:3000) whose pages may read and "
                            "write; repeatable")
    serve.add_argument("--no-token", action="store_true",
                       help="serve without the secret token (any local user can then use the "
                            "channel)")
    serve.add_argument("--allow-backend-writes", action="store_true",
                       help="also accept appends to backend_to_frontend.json")
    serve.add_argument("--max-file-bytes", type=int, default=64 << 20,
                       help="largest channel file and request body (default 64 MiB)")
    serve.add_argument("--static", metavar="PAGE_DIR",
                       help="also serve the page's own files from PAGE_DIR, on the bridge's origin")
    serve.set_defaults(run=_cmd_serve)
    peer = commands.add_parser("_demo-peer")  # the demo's second process; not for users
    peer.add_argument("tag")
    peer.add_argument("workdir")
    peer.add_argument("reader_fd", type=int)
    peer.add_argument("writer_fd", type=int)
    peer.set_defaults(run=_cmd_demo_peer)
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        code = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except KeyboardInterrupt:
        # Every command ends the same way on Ctrl-C: one line, the shell's 128 + SIGINT.
        print("ipckit: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except BrokenPipeError:
        # The reader went away (`ipckit info | head -2`): stop quietly, as a C
        # tool killed by SIGPIPE would. Point stdout at /dev/null so the
        # interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 128 + signal.SIGPIPE
    except ipckit.IpcError as e:
        print("ipckit: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
