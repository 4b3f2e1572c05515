"""Load and chaos run of the whole suite on loopback (`make soak` = `python -m soak`).

Bounded in time and in request counts: the suite is started as processes, probe/thumbnail
requests and render jobs go through the gateway while faults are injected (media restart,
nats-server restart, SIGKILL of a compiler replica), and the run prints what it held and exits
non-zero when a job was lost or an undocumented error was seen.
"""
