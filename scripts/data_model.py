"""Print docs/DATA_MODEL.md: every collection and field, rendered from the project's own definitions and data.

The field meanings below are the one description of the model; the test suite checks them against
generated documents (every field documented, nothing documented that is not generated). Types,
examples, indexes, connector mappings and document sizes come from the code and a generated dataset.
"""

from __future__ import annotations

import sys

from zava.cli import base_parser, cli
from zava.docs.data_model import render

# measured on the default sizes with pinned dates, so the document is the same on every run


@cli
def main(argv: list[str] | None = None) -> int:
    base_parser(__doc__.splitlines()[0]).parse_args(argv)
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
