"""Run every benchmark side by side and print the ratios (`make bench`).

Full sizes take a while (5M-row import, 10M-row demand, 100k-client analyze vs DoWhy, 100
seeds per scenario for coverage); `--scale 0.1` gives a quick look.
"""

from __future__ import annotations

import argparse

from bench import (
    bench_coverage,
    bench_decide,
    bench_demand,
    bench_import,
    bench_speed,
    bench_wide,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of full size")
    scale = parser.parse_args().scale
    bench_import.run(int(5_000_000 * scale))
    bench_wide.run((max(100, int(1_000 * scale)), max(300, int(3_000 * scale))))
    bench_demand.run(int(10_000_000 * scale))
    bench_speed.run(int(100_000 * scale), 1)
    bench_coverage.run(max(5, int(100 * scale)), 4000)
    bench_decide.run(max(5, int(50 * scale)), 4000)


if __name__ == "__main__":
    main()
