"""`python -m bench [--quick | --smallest] [--burst N ...]`: see bench/README.md."""

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

from bench.params import Params, parse
from bench.report import markdown
from bench.run import run


async def _run(params: Params, results: Path) -> dict[str, Any]:
    """SIGTERM stops the run as Ctrl-C does: the services are stopped and their databases and vhost dropped."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await run(params, results)


def main() -> int:
    params, args = parse()
    record = asyncio.run(_run(params, Path(args.results)))
    print()
    print(markdown(record["figures"]))
    print()
    print(f"{record['duration_s']:.0f} s; every figure in {record['path']}")
    for problem in record["problems"]:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if record["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
