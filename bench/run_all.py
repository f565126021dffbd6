"""Run every benchmark side by side and print the ratios (`make bench`)."""

from __future__ import annotations

import argparse

from bench import bench_import


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of full size")
    scale = parser.parse_args().scale
    bench_import.run(int(5_000_000 * scale))


if __name__ == "__main__":
    main()
