"""`python -m bench.profiled OUT MODULE`: run a service under cProfile and write OUT when it stops.

The profiler counts CPU time (`time.process_time`), not wall time: on a machine whose two cores are shared with
the broker, the database and the other services, wall time mostly measures waiting for a core.

`python -m cProfile` writes nothing here: uvicorn re-raises the SIGTERM it caught once it has shut down, and the
default handler ends the process before cProfile can write. Our handler, restored by uvicorn, writes first.
"""

import cProfile
import runpy
import signal
import sys
import time
from types import FrameType


def main() -> None:
    out, module = sys.argv[1], sys.argv[2]
    profiler = cProfile.Profile(time.process_time)

    def dump(*_: object) -> None:
        profiler.disable()
        profiler.dump_stats(out)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        dump()
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sys.argv = [module]
    profiler.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        dump()


if __name__ == "__main__":
    main()
