"""`python -m bench [--quick | --smallest] [--burst N ...]`: see bench/README.md."""

import asyncio
import sys
from pathlib import Path

from bench.params import parse
from bench.report import markdown
from bench.run import run


def main() -> int:
    params, args = parse()
    record = asyncio.run(run(params, Path(args.results)))
    print()
    print(markdown(record["figures"]))
    print()
    print(f"{record['duration_s']:.0f} s; every figure in {record['path']}")
    for problem in record["problems"]:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if record["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
