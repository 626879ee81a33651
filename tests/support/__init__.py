"""What the tests and the benchmarks share: a real ``stroll-server`` process on
loopback (:class:`ServerProcess`) and a free loopback port (:func:`free_port`)."""
from .server import ROOT, ServerProcess, free_port

__all__ = ["ROOT", "ServerProcess", "free_port"]
