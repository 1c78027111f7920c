"""EventBus.shared: one event bus across processes, with 0.1's filters."""

import os

from ipckit.ipckit import Event, EventBus, EventBusConfig, EventFilter


def _service_exists(name):
    return os.path.exists("/dev/shm/ipckit_msg." + name)


def test_events_cross_processes_and_filters_apply_where_the_subscriber_is(child, unique_name):
    name = unique_name("bus")
    with EventBus.shared(name) as bus:
        tasks = bus.subscribe(EventFilter().event_type("task.*").resource("job-1"))
        everything = bus.subscribe()
        c = child("""
            import sys
            from ipckit.ipckit import Event, EventBus, EventFilter
            with EventBus.shared(sys.argv[1]) as bus:
                logs = bus.subscribe(EventFilter().event_type("log.*"))
                print("ready", flush=True)
                sys.stdin.readline()
                bus.publish(Event.with_resource("task.started", "job-1", {"n": 1}))
                bus.publish(Event.with_resource("task.started", "job-2", {"n": 2}))
                bus.publish(Event.log("job-1", "info", "child's own"))
                bus.publisher().progress("job-1", 1, 2, "half")
                print("sent", flush=True)
                own = logs.recv_timeout(10000)          # its own, delivered locally
                other = logs.recv_timeout(10000)        # the parent's
                print(own.data["message"], "|", other.data["message"], "|", other.resource_id,
                      flush=True)
                sys.stdin.readline()
        """, name)
        c.expect("ready")
        c.proc.stdin.write("\n")
        c.proc.stdin.flush()
        c.expect("sent")
        got = [tasks.recv_timeout(10000) for _ in range(2)]
        assert [(e.event_type, e.resource_id) for e in got] == [
            ("task.started", "job-1"), ("task.progress", "job-1")]
        assert got[0].data == {"n": 1}
        assert got[1].data["percentage"] == 50
        # The child's four events arrive in order and the last one matched, so
        # the two that did not match are decided: they were filtered out.
        assert tasks.try_recv() is None
        seen = [everything.recv_timeout(10000) for _ in range(4)]
        assert [e.event_type for e in seen] == [
            "task.started", "task.started", "log.info", "task.progress"]
        assert seen[0].id == got[0].id and seen[0].timestamp == got[0].timestamp
        bus.publish(Event.log("job-9", "info", "from the parent"))
        assert c.readline(20) == "child's own | from the parent | job-9"
        # The parent's own event reached its own subscriber once, not twice.
        assert everything.recv_timeout(10000).data["message"] == "from the parent"
        assert everything.try_recv() is None
        assert [e.data for e in bus.history(EventFilter().resource("job-2"))] == [{"n": 2}]
        c.proc.stdin.write("\n")
        c.proc.stdin.flush()
        c.finish()
    assert not _service_exists(name)


def test_a_killed_process_leaves_the_bus_working(child, unique_name):
    name = unique_name("bus")
    config = EventBusConfig(history_size=0, subscriber_buffer=8)
    with EventBus.shared(name, config, max_processes=2) as bus:
        c = child("""
            import sys
            from ipckit.ipckit import Event, EventBus, EventBusConfig
            bus = EventBus.shared(sys.argv[1], EventBusConfig(history_size=0, subscriber_buffer=8),
                                  max_processes=2)
            bus.publish(Event("child.up"))
            print("up", flush=True)
            sys.stdin.readline()
        """, name)
        sub = bus.subscribe()
        c.expect("up")
        c.kill()  # SIGKILL: its publisher and subscriber entries are reclaimed
        # A new process can take the dead one's place (max_processes=2).
        c2 = child("""
            import sys
            from ipckit.ipckit import Event, EventBus, EventBusConfig
            with EventBus.shared(sys.argv[1], EventBusConfig(history_size=0, subscriber_buffer=8),
                                 max_processes=2) as bus:
                bus.publish(Event("second.up"))
        """, name)
        c2.finish()
        types = set()
        while "second.up" not in types:
            types.add(sub.recv_timeout(10000).event_type)
        bus.publish(Event("still.works"))
        assert sub.recv_timeout(10000).event_type == "still.works"
    assert not _service_exists(name)


def test_a_late_joiner_receives_the_history(child, unique_name):
    name = unique_name("bus")
    c = child("""
        import sys
        from ipckit.ipckit import Event, EventBus
        with EventBus.shared(sys.argv[1]) as bus:
            for n in range(3):
                bus.publish(Event.with_resource("task.started", "job-%d" % n, {"n": n}))
            print("sent", flush=True)
            sys.stdin.readline()
            bus.publish(Event.log("job-9", "info", "after the join"))
            print("marked", flush=True)
            sys.stdin.readline()
    """, name)
    c.expect("sent")
    # Joins after the three events were published: nobody else received them.
    with EventBus.shared(name) as bus:
        logs = bus.subscribe(EventFilter().event_type("log.*"))
        c.proc.stdin.write("\n")
        c.proc.stdin.flush()
        c.expect("marked")
        # One publisher's events arrive in order, history first: once the
        # event sent after the join is here, the history has been delivered.
        assert logs.recv_timeout(10000).data["message"] == "after the join"
        assert [(e.event_type, e.resource_id, e.data) for e in
                bus.history(EventFilter().event_type("task.*"))] == [
            ("task.started", "job-0", {"n": 0}),
            ("task.started", "job-1", {"n": 1}),
            ("task.started", "job-2", {"n": 2})]
        assert [e.event_type for e in bus.history()] == ["task.started"] * 3 + ["log.info"]
        c.proc.stdin.write("\n")
        c.proc.stdin.flush()
        c.finish()
    assert not _service_exists(name)
