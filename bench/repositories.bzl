"""bench_deps(): the system libraries of bench/'s C++ peers, all offline.

Called from the main WORKSPACE, after ipckit_deps():
    load("//bench:repositories.bzl", "bench_deps")
    bench_deps()

Both come from Debian packages that tools/setup.d/40-bench.sh installs; as in
third_party/, headers are symlinked and libraries linked from the system.
"""

load("//third_party:system_repository.bzl", "system_headers")

def _maybe(rule, name, **kwargs):
    if name not in native.existing_rules():
        rule(name = name, **kwargs)

def bench_deps():
    # Boost.Interprocess (message_queue) is header only.
    _maybe(
        system_headers,
        "boost",
        include_dirs = ["boost"],
        build_file = Label("//bench/third_party:boost.BUILD"),
        debian_package = "libboost-dev",
    )

    # ZeroMQ: zmq.h from /usr/include, linked against the system libzmq.so.
    _maybe(
        system_headers,
        "libzmq",
        include_dirs = ["zmq.h"],
        build_file = Label("//bench/third_party:zmq.BUILD"),
        debian_package = "libzmq3-dev",
    )
