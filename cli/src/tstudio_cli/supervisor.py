"""Keeps a running suite alive: a component that exits is started again with back-off, the reason
is said, and the others keep serving (the desktop suite runs all day)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tstudio_cli.suite import Suite

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
# A component that stayed up this long is healthy again: its next crash starts from FIRST_DELAY.
STABLE_AFTER = 60.0


def exit_reason(returncode: int) -> str:
    """ "exited with code 1" or "killed by SIGKILL"."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


@dataclass
class Supervisor:
    suite: Suite
    say: Callable[[str], None]
    clock: Callable[[], float] = time.monotonic
    _delay: dict[str, float] = field(default_factory=dict)
    _due: dict[str, float] = field(default_factory=dict)
    _started: dict[str, float] = field(default_factory=dict)

    def tick(self) -> list[str]:
        """Look at every process once; returns the names started again in this tick."""
        now = self.clock()
        restarted: list[str] = []
        for name, process in list(self.suite.processes.items()):
            if name in self._due:
                if now >= self._due[name]:
                    del self._due[name]
                    if self._start(name):
                        restarted.append(name)
                continue
            code = process.poll()
            if code is None:
                if now - self._started.get(name, now) >= STABLE_AFTER:
                    self._delay.pop(name, None)
                continue
            delay = self._delay.get(name, FIRST_DELAY / 2) * 2
            self._delay[name] = min(delay, MAX_DELAY)
            self._due[name] = now + self._delay[name]
            log = self.suite.log_dir / f"{name}.log"
            self.say(
                f"tstudio up: {name} {exit_reason(code)}; starting it again in {self._delay[name]:.0f} s "
                f"(the others keep serving; see {log})"
            )
        return restarted

    def _start(self, name: str) -> bool:
        try:
            self.suite.start_component(name)
        except (OSError, RuntimeError, TimeoutError) as exc:
            self.say(f"tstudio up: could not start {name} again: {exc}")
            self._due[name] = self.clock() + self._delay.get(name, FIRST_DELAY)
            return False
        self._started[name] = self.clock()
        self.say(f"tstudio up: {name} started again (pid {self.suite.processes[name].pid})")
        return True
