"""Developer tool: rewrite the initial migration from the models (pre-release only).

Until the first release the schema is one initial revision plus hand-written ones after it.
Run ``make migration`` after changing models; it autogenerates 0001 against an empty database.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from migrations import HERE, alembic_config

INITIAL = "0001_initial"


def main() -> int:
    versions = HERE / "versions"
    target = versions / f"{INITIAL}.py"
    with tempfile.TemporaryDirectory() as tmp:
        # Later hand-written revisions depend on 0001; hide them while generating it.
        hidden = Path(tmp) / "hidden"
        hidden.mkdir()
        for path in versions.glob("*.py"):
            shutil.move(str(path), hidden / path.name)
        try:
            engine = create_engine(f"sqlite:///{tmp}/empty.sqlite3")
            cfg = alembic_config(engine)
            command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
            generated = next(versions.glob("0001_*.py"))
            os.replace(generated, Path(tmp) / "new.py")
        finally:
            for path in hidden.glob("*.py"):
                if path.name != target.name:
                    shutil.move(str(path), versions / path.name)
        shutil.move(str(Path(tmp) / "new.py"), target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
