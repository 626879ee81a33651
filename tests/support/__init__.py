"""What the tests and the benchmarks share: a real ``stroll-server`` process on
loopback (:class:`ServerProcess`) and a free loopback port (:func:`free_port`)."""
from .server import (ROOT, ServerDidNotStart, ServerProcess, free_port, stop_process,
                     wait_until_answers)

__all__ = ["ROOT", "ServerDidNotStart", "ServerProcess", "free_port", "stop_process",
           "wait_until_answers"]
