"""Regenerate docs/schemas/*.schema.json from the result types: `python -m tools.write_schemas`."""

from __future__ import annotations

from pathlib import Path

from decisionframe.schemas import write_schemas

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "schemas"


def main() -> None:
    for path in write_schemas(SCHEMAS):
        print(f"wrote {path.relative_to(SCHEMAS.parent.parent)}")


if __name__ == "__main__":
    main()
