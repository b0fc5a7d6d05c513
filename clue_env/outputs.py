"""Output files that lose nothing: checked before any work, locked while written, renamed into place.

Every command that writes (``clue generate``, ``eval``, ``audit``, ``train``) goes through
here, so they all behave the same:

* an existing output is only replaced with ``force``; an output is never one of the
  command's own inputs (checked by file identity, not by name);
* the folder must exist and be writable, and a folder is not a file (and vice versa);
  each problem is one :class:`OutputError` line before any work starts;
* a regular file is written to ``NAME.partial`` under an exclusive OS lock (``flock``), so
  a second run writing the same output fails at once instead of interleaving, and is
  renamed onto ``NAME`` only when complete; an interrupted run leaves ``NAME.partial``;
* a special file (``/dev/stdout``, ``/dev/null``, a FIFO) is written directly: it is never
  replaced by a regular file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

PARTIAL_SUFFIX = ".partial"


class OutputError(ValueError):
    """An output that cannot or must not be written; the message says which and what to do."""


def _is_special(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_folder(folder: Path, flag: str) -> None:
    if not folder.exists():
        raise OutputError(f"{flag}: folder {folder} does not exist; create it first")
    if not folder.is_dir():
        raise OutputError(f"{flag}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{flag}: folder {folder} is not writable")


def check_output_file(
    path: str | Path, *, force: bool = False, inputs: Sequence[str | Path] = (), flag: str = "--out"
) -> Path:
    """``path`` as an output file, or :class:`OutputError` saying why it cannot be one."""
    out = Path(path)
    for given in inputs:
        if _same_file(out, Path(given)):
            raise OutputError(f"{flag} {out} is the input file {given}; choose another output")
    if _is_special(out):
        return out
    if out.is_dir():
        raise OutputError(f"{flag} {out} is a folder; give a file name")
    _check_folder(out.parent if str(out.parent) else Path("."), flag)
    if out.exists() and not force:
        raise OutputError(f"{flag} {out} exists; pass --force to overwrite it")
    return out


def check_output_dir(path: str | Path, *, flag: str = "--out") -> Path:
    """``path`` as an output folder, or :class:`OutputError`. A missing folder is fine (it is
    made, with its parents): the nearest folder that exists must be writable."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{flag} {out} is a file, not a folder")
    existing = out
    while not existing.exists():
        existing = existing.parent if existing != existing.parent else Path(".")
    if not existing.is_dir():
        raise OutputError(f"{flag} {out}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"{flag} {out}: folder {existing} is not writable")
    return out


def lock(fh: IO, path: str | Path) -> None:
    """Take an exclusive lock on the open file ``fh`` or raise :class:`OutputError` at once.

    The lock is the kernel's (``flock``): it is released when the file is closed or the
    process dies, even by ``kill -9``, so a stale lock never blocks a later run."""
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OutputError(
            f"{path} is being written by another run right now; wait for it or choose another --out"
        ) from None


def partial_path(path: str | Path) -> Path:
    out = Path(path)
    return out.with_name(out.name + PARTIAL_SUFFIX)


@contextlib.contextmanager
def output_file(path: str | Path, *, force: bool = False, inputs: Sequence[str | Path] = ()) -> Iterator[IO[str]]:
    """A text file to write ``path`` through (see the module docstring).

    On a regular file: writes ``path.partial`` (locked), renamed onto ``path`` when the
    block ends normally; when it raises (``KeyboardInterrupt`` too) the partial file stays
    and the exception goes on. On a special file: writes it directly.
    """
    out = check_output_file(path, force=force, inputs=inputs)
    try:
        if _is_special(out):
            with out.open("w", encoding="utf-8") as fh:
                yield fh
            return
        partial = partial_path(out)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT, 0o644)  # no truncation before the lock is ours
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            lock(fh, out)
            fh.truncate(0)
            yield fh
            fh.flush()
            os.replace(partial, out)
    except OSError as err:
        raise OutputError(f"cannot write {out}: {err.strerror or err}") from None


def is_stdout(path: str | Path) -> bool:
    """Whether ``path`` is this process's standard output (``/dev/stdout``, ``/proc/self/fd/1``, ...)."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(1))
    except OSError:
        return False


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file renamed into place (a reader sees
    the old file or the new one, never half of one). A special file is written directly."""
    out = Path(path)
    if _is_special(out):
        out.write_text(text, encoding="utf-8")
        return out
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
