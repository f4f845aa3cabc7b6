"""Check any loaded dataset: counts, foreign keys, totals, arrays, ID formats, and how realistic it looks."""

from __future__ import annotations

import sys
import time

from common import connected
from zava.cli import base_parser, cli
from zava.console import fail, ok, peak_memory_mb, say, table
from zava.simulation.repair import REPAIR_COMMAND
from zava.verify.data_report import build_report


@cli
def main(argv: list[str] | None = None) -> int:
    args = base_parser(__doc__).parse_args(argv)
    with connected(args) as (config, client):
        began = time.perf_counter()
        report = build_report(client[config.database], config)
        print(
            table(
                ["collection", "documents", "expected"],
                [
                    (name, actual, "" if expected is None else expected)
                    for name, (actual, expected) in report.counts.items()
                ],
            )
        )
        print()
        print(table(["rule", "checked", "broken"], [(r.name, r.checked, r.broken) for r in report.rules.values()]))
        print()
        print(table(["measure", "value", "target"], report.figures))
        print()
        print("\n".join(report.heatmap))
        print()
        print("\n".join(report.rhythm))
        print()
        print(table(["bought together: type", "with type", "orders", "lift"], report.pairs))
        for name, (actual, expected) in report.counts.items():
            if expected is not None and actual != expected:
                fail(f"{name}: {actual:,} documents, expected {expected:,} for the configured sizes")
        for rule in report.rules.values():
            for example in rule.examples:
                fail(f"{rule.name}: {example}")
        if report.half_written["items"] or report.half_written["orders"]:
            fail(
                f"{report.half_written['items']} live order items without their order and "
                f"{report.half_written['orders']} live orders without items: a simulator was stopped mid-order; "
                f"{REPAIR_COMMAND} repairs them"
            )
        spent = f"{time.perf_counter() - began:.1f} s, peak memory {peak_memory_mb():.0f} MB"
        if not report.ok:
            say(f"read {config.database!r} ({spent})")
            return 1
        ok(f"{config.database!r} passes every rule ({spent})")
        return 0


if __name__ == "__main__":
    sys.exit(main())
