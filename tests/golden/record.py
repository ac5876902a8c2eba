"""Record what links decode to and what the command line prints, so a refactoring can prove it changed
neither. Run once before a refactoring (``python tests/golden/record.py``) and commit the output;
``tests/test_golden.py`` then checks that the code still gives exactly this.

These are regression baselines, not expected values derived by hand: they say "the same as before",
and the tests of each feature say "right".
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

LINKS = [
    "", "s=ravine", "s=ravine&s.condition=100&s.angle=30", "s=plateau&s.width=3", "s=saddle&x0=1&y0=0.001",
    "n=120", "n=1", "n=2000", "n=0", "n=abc", "n=99999", "v=side", "v=3d", "v=loss", "v=inside", "v=table",
    "v=sweep", "v=ewa", "v=regression", "v=bogus", "l=zh", "l=fr",
    "o=adam", "o=adam~adam~sgd&o1.lr=0.01&o2.lr=0.1&o3.lr=0.003", "o=sgd,momentum,nesterov",
    "o=Adam&o1.b1=0.8&o1.b2=0.99&o1.eps=0&o1.wd=0.01&o1.bc=0", "o=adamw&o1.weight_decay=0.1",
    "o=momentum&o1.b=0.5&o1.c=textbook", "o=momentum&o1.c=keras", "o=nesterov&o1.c=bogus",
    "o=rmsprop&o1.b=0.9&o1.eps=1e-6", "o=adagrad&o1.lr=0.5", "o=adadelta&o1.lr=1", "o=newton&o1.damp=0.1",
    "o=sgd&o1.sch=step~100~0.5", "o=sgd&o1.sch=exp~0.99_warmup~10", "o=sgd&o1.sch=cosine~300",
    "o=sgd&o1.sch=cosine:300:0.1+warmup:5", "o=sgd&o1.sch=bogus~1", "o=sgd&o1.noise=0.1&o1.seed=3",
    "o=sgd&o1.noise=-1", "o=sgd&o1.lb=My%20GD", "o=sgd&o1.lb=%3Cb%3Ebold%3C%2Fb%3E",
    "o=sgd&o1.lr=-3", "o=sgd&o1.lr=nan", "o=sgd&o1.lr=1e400", "o=bogus", "o=" + "~".join(["sgd"] * 13),
    "ls=saddle-point", "ls=ravine&l=zh", "ls=newton-saddle&n=50", "ls=nonexistent",
    "s=custom&f=x%2A%2A2+%2B+3%2Asin%28y%29&bx=-3~3&by=-2~2.5",
    "s=custom&f=__import__%28%27os%27%29", "s=custom&f=x%2A%2A&bx=1~0",
    "x0=1e9&y0=0", "x0=%3Cscript%3E", "utm_source=x&fbclid=y&s=beale",
    "s=himmelblau&n=300&v=race&l=zh&o=adam~sgd&o1.lr=0.01&o2.lr=0.02&o2.c=textbook",
]

CLI = [
    "list", "list --format json",
    "run --surface rosenbrock --optimizer adam --steps 20",
    "run --surface ravine --surface-param condition=100 angle=30 --optimizer momentum --lr 0.01 --beta 0.9 "
    "--convention textbook --format json --steps 15",
    "run --surface saddle --optimizer sgd --lr 0.05 --noise 0.1 --seed 7 --schedule step:5:0.5+warmup:3 "
    "--start 1 0.001 --steps 12",
    "run --surface custom --expression x**2+3*sin(y)-0.5*x*y --bounds -3 3 -3 3 --optimizer adam --lr 0.05 --steps 10",
    "run --surface quadratic --optimizer adam --start 201 0 --steps 2",
    "run --surface saddle --optimizer adam --eps 0 --start 1 0 --steps 3 --format json",
    "run --surface beale --optimizer adadelta --steps 8", "run --surface himmelblau --optimizer newton --damping 0.1 --steps 6",
    "run --surface plateau --optimizer rmsprop --steps 10 --no-bias-correction",
    "run --surface rosenbrock --optimizer adamw --weight-decay 0.1 --convention keras --steps 6",
    "run --surface rosenbrock --optimizer adam --lr -1",
    "run --surface rosenbrock --optimizer adam --beta 0.9",
    "run --surface nowhere --optimizer adam",
    "sweep --surface rosenbrock --optimizer adam --x lr:1e-3:1e-1:4:log --y beta1:0.5:0.9:3 --steps 30",
    "sweep --surface quadratic --optimizer momentum --x lr:0.01:1:3 --y beta:0:0.9:3 --steps 20 --format json",
    "basins --surface himmelblau --optimizer sgd --lr 0.01 --n 5 --steps 40",
    "basins --surface local_minima --optimizer adam --n 4 --steps 30 --format json",
    "render --surface rosenbrock --optimizer adam:lr=0.04 --optimizer sgd:lr=0.002 --steps 10 --out {out}.csv",
    "render --surface ravine --surface-param condition=10 --optimizer momentum:lr=0.02,b=0.5,c=textbook "
    "--optimizer adam --steps 15 --out {out}.csv",
    "render --link ?s=saddle&o=sgd~adam&o1.lr=0.05&n=12 --out {out}.csv",
]


def links() -> dict:
    from urllib.parse import parse_qs

    from optviz.classroom.catalog import ALL_LESSONS as LESSONS
    from optviz.share import AppState, decode
    defaults = AppState()
    out = {}
    for query in LINKS:
        params = parse_qs(query, keep_blank_values=True)
        state, notices = decode(params, defaults, lessons=[lesson.id for lesson in LESSONS])
        out[query] = {"state": dataclasses.asdict(state), "notices": [str(n) for n in notices]}
    return json.loads(json.dumps(out))  # as it reads back from the file: tuples become lists


def cli(command: str) -> dict:
    """What ``python -m optviz COMMAND`` prints, and the file it writes when it names ``{out}``."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        args = [part.format(out=out) for part in command.split()]
        done = subprocess.run([sys.executable, "-m", "optviz", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        written = sorted(Path(folder).iterdir())
        return {"command": command, "exit": done.returncode, "stdout": done.stdout,
                "stderr": done.stderr.replace(str(out), "{out}"),
                "file": written[0].read_text() if written else None}


def main() -> None:
    (HERE / "links.json").write_text(json.dumps(links(), indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    (HERE / "cli.json").write_text(json.dumps([cli(c) for c in CLI], indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
