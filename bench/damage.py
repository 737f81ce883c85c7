"""A damaged copy of an export, for timing `ecrf validate` on data as dirty as data managers see it.

    .venv/bin/python bench/damage.py SOURCE DEST SEED

Copies the CSV export SOURCE to DEST (replaced) and, in every file, edits one data row in fifty at random:
an emptied cell, junk text ("abc", "UNK", "  x ", "1e9", "-5", "2024-13-45", "NA"), a number times 10, 0.1 or
-1, day and month swapped in a date, a duplicated row, a code in the other case, or a leading blank; half the
files are shuffled. Deterministic for a seed. The 10,000-subject seeded export (`ecrf example E --subjects
10000`) damaged with seed 1 gives 29,143 findings (docs/performance.md, "Where the targets stand").
"""

from __future__ import annotations

import csv
import io
import random
import shutil
import sys
from pathlib import Path

JUNK = ["abc", "UNK", "  x ", "1e9", "-5", "2024-13-45", "NA"]


def damage(src: Path, dst: Path, seed: int) -> None:
    rng = random.Random(seed)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    for f in sorted(dst.glob("*.csv")):
        rows = list(csv.reader(io.StringIO(f.read_text(encoding="utf-8"), newline="")))
        head, body = rows[0], rows[1:]
        for _ in range(max(1, len(body) // 50)):
            if not body:
                break
            r, c = rng.randrange(len(body)), rng.randrange(len(head))
            v, k = body[r][c], rng.randrange(7)
            if k == 0:
                body[r][c] = ""
            elif k == 1:
                body[r][c] = rng.choice(JUNK)
            elif k == 2:
                try:
                    body[r][c] = str(float(v) * rng.choice([10, 0.1, -1]))
                except ValueError:
                    body[r][c] = v + "?"
            elif k == 3 and len(v) == 10 and v[4] == "-":
                body[r][c] = f"{v[:5]}{v[8:10]}-{v[5:7]}" if int(v[8:10]) <= 12 else v[:4] + "-02-30"
            elif k == 4:
                body.append(list(body[r]))
            elif k == 5:
                body[r][c] = v.lower() if v.upper() == v else v.upper()
            else:
                body[r][c] = " " + v
        if rng.random() < 0.5:
            rng.shuffle(body)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([head, *body])
        f.write_text(buf.getvalue(), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    damage(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
