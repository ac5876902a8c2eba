"""``python -m optviz``: the command line of :mod:`optviz.cli`."""
from optviz.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
