"""Generate the shipped approximate Mitsugi road network (routing/data/mitsugi.osm and
mitsugi.clip.json): ``scripts/build_area_osm.py`` for the Mitsugi area, see its docstring.

Run: ``python scripts/build_mitsugi_osm.py [--shared DIR] [--out-dir routing/data]``.
The output is deterministic (same input, same bytes).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_area_osm import main

if __name__ == "__main__":
    raise SystemExit(main(["--service", "mitsugi", *sys.argv[1:]]))
