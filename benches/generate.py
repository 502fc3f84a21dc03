#!/usr/bin/env python3
"""Writes the benchmark inputs for N numbers:

  numbers-N.toml  a numkeep config: settings.timezone = "UTC", one carrier `prepaid`
                  (topup_valid_for = "90d", grace = "30d"), N [[number]] tables with a
                  unique number, a label and a last_topup spread over recent dates;
  numbers-N.rem   the equivalent Remind file: one REM per number on its act-by date
                  (last_topup + 89 days) with a 30-day warning (+30).

  included-N/     with --included: config.toml including conf.d/*.toml, and N files there
                  of one [[number]] each (loading many included files must stay linear).

Usage: generate.py N [N ...] [--dir DIR] [--check-at CRON] [--suffix S] [--included]
  --check-at adds settings.check_at (the daemon bench uses a far-away tick) and
  --suffix names the files numbers-N<S>.toml (so the daemon config does not clobber the
  status one). Output is deterministic: the same N always gives the same files.
"""

import argparse
import datetime
import os
import sys

# "Today" of the benchmark is 2026-11-23; top-ups spread over the 120 days before it, so
# act-by dates run from 2026-10-23 to 2027-02-19: a mix of ok, due and grace (none lost).
LAST_DAY = datetime.date(2026, 11, 22)
SPAN_DAYS = 120
VALID_DAYS = 90  # topup_valid_for = "90d": act-by = last_topup + 90 - 1


def last_topup(i: int) -> datetime.date:
    # A fixed spread (37 is coprime to 120), not a sorted list.
    return LAST_DAY - datetime.timedelta(days=(i * 37) % SPAN_DAYS)


def number(i: int) -> str:
    # "+9655" + 7 digits: an 8-digit Kuwaiti mobile number, unique for i < 10,000,000.
    return f"+9655{i:07d}"


def write_toml(path: str, n: int, check_at: str | None) -> None:
    with open(path, "w", buffering=1 << 20) as out:
        out.write("[settings]\n")
        out.write('timezone = "UTC"\n')
        if check_at:
            out.write(f'check_at = "{check_at}"\n')
        out.write("\n[carriers.prepaid]\n")
        out.write('name = "Generic prepaid"\n')
        out.write('topup_valid_for = "90d"\n')
        out.write('grace = "30d"\n')
        chunk = []
        for i in range(n):
            chunk.append(
                f'\n[[number]]\nnumber = "{number(i)}"\nlabel = "line {i}"\n'
                f'carrier = "prepaid"\nlast_topup = {last_topup(i).isoformat()}\n'
            )
            if len(chunk) >= 10000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))


def write_rem(path: str, n: int) -> None:
    with open(path, "w", buffering=1 << 20) as out:
        chunk = []
        for i in range(n):
            act_by = last_topup(i) + datetime.timedelta(days=VALID_DAYS - 1)
            chunk.append(
                f"REM {act_by.day} {act_by.strftime('%b')} {act_by.year} +30 "
                f"MSG {number(i)} line {i} top up by %b\n"
            )
            if len(chunk) >= 10000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))


def write_included(directory: str, n: int) -> None:
    included = os.path.join(directory, "conf.d")
    os.makedirs(included, exist_ok=True)
    with open(os.path.join(directory, "config.toml"), "w") as out:
        out.write('include = ["conf.d/*.toml"]\n\n[settings]\ntimezone = "UTC"\n')
        out.write('\n[carriers.prepaid]\ntopup_valid_for = "90d"\ngrace = "30d"\n')
    for i in range(n):
        with open(os.path.join(included, f"n{i:07d}.toml"), "w") as out:
            out.write(
                f'[[number]]\nnumber = "{number(i)}"\ncarrier = "prepaid"\n'
                f"last_topup = {last_topup(i).isoformat()}\n"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--dir", default=".")
    parser.add_argument("--check-at", default=None)
    parser.add_argument("--suffix", default="")
    parser.add_argument("--no-rem", action="store_true", help="skip the Remind file")
    parser.add_argument("--included", action="store_true", help="one included file per number")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    for n in args.sizes:
        if args.included:
            write_included(os.path.join(args.dir, f"included-{n}"), n)
            continue
        base = os.path.join(args.dir, f"numbers-{n}{args.suffix}")
        write_toml(base + ".toml", n, args.check_at)
        if not args.no_rem:
            write_rem(base + ".rem", n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
