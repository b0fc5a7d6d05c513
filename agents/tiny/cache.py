"""Where the tiny model and its base are built, and the one way they are put there.

``$CLUE_CACHE_DIR`` replaces ``~/.cache/temporal-clue``. A build runs in a temporary directory
beside its target and is moved into place, so a reader never sees a half-written model.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def cache_root() -> Path:
    """``$CLUE_CACHE_DIR``, else ``~/.cache/temporal-clue``."""
    env = os.environ.get("CLUE_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "temporal-clue"


def is_stamped(path: Path, stamp: str, recipe: dict, files: tuple[str, ...]) -> bool:
    """Whether ``path`` holds every one of ``files`` and a stamp file ``stamp`` recording ``recipe``."""
    try:
        found = json.loads((path / stamp).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(found, dict) and found.get("recipe") == recipe and all((path / f).is_file() for f in files)


def write_stamp(path: Path, stamp: str, recipe: dict) -> None:
    """The stamp :func:`is_stamped` reads: ``{"recipe": recipe}``, keys sorted."""
    (path / stamp).write_text(json.dumps({"recipe": recipe}, indent=2, sort_keys=True) + "\n")


def build_in_place(path: Path, build: Callable[[Path], None], complete: Callable[[], bool]) -> None:
    """Run ``build(tmp)`` in a temporary directory beside ``path``, then move it into place, so a
    reader never sees a half-written directory and concurrent builders do not clash (the last one
    to finish wins; ``complete()`` says whether what another builder left at ``path`` will do)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}-build-", dir=path.parent))
    try:
        build(tmp)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}-old-", dir=path.parent))
            try:
                os.replace(path, old / "m")
            except FileNotFoundError:  # another builder moved it away first
                pass
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.replace(tmp, path)
        except OSError:  # another builder put a complete directory there meanwhile
            if not complete():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
