"""A training run's folder: checkpoints written whole and switched atomically, and ``metrics.jsonl``.

Layout::

    DIR/config.toml                 the run's settings (``clue train --resume`` reads them back)
    DIR/metrics.jsonl               one line per finished iteration, never one twice
    DIR/checkpoints/iter-000012/    a Hugging Face checkpoint (vLLM and transformers load it)
        state/trainer.pt            optimizer, RNG and loop state, to resume from
        config.toml                 the settings it was trained with
        checkpoint.json             every file's size and SHA-256, checked before latest/best point
                                    at it and again on --resume
    DIR/latest -> checkpoints/iter-000012   the last saved iteration
    DIR/best   -> checkpoints/iter-000010   the best validation reward so far
    DIR/val/iter-000010/            each validation's results.jsonl and summary.json
    DIR/*.png                       the curves (``clue plot DIR``)

A checkpoint is written under a temporary name and renamed into place when complete; ``latest``
and ``best`` are symbolic links replaced with one ``rename``, so a kill at any moment leaves
either the old checkpoint or the new one, never half of one. Before the rename every file is
flushed to disk and read back against the manifest; ``--resume`` checks it again and names the
file that does not match (a disk that filled up or a copy cut short).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

from clue_env.outputs import check_output_dir, lock, write_text_atomic

CONFIG = "config.toml"
METRICS = "metrics.jsonl"
STATE = Path("state") / "trainer.pt"
#: Each checkpoint's list of its files, their sizes and SHA-256 digests, written last.
MANIFEST = "checkpoint.json"


class RunDirError(ValueError):
    """A run folder that cannot be used as asked; the message says why and what to do."""


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


#: What an attempt that stopped before its first iteration was recorded leaves (bad weights, a
#: setting refused, a kill during the first validation): no run yet, and a new start clears it.
#: ``tensorboard``, ``wandb``, ``wandb-run-id``: what the trackers (``report_to``) start with.
_FAILED_START = {"checkpoints", ".lock", CONFIG, METRICS, "val", "tensorboard", "wandb", "wandb-run-id"}


def _holds_a_run(path: Path) -> bool:
    """Whether ``path`` holds a run to resume (or files of something else): any iteration recorded,
    any checkpoint, or anything a failed start does not leave."""
    for item in path.iterdir():
        if item.name not in _FAILED_START:
            return True
        if item.name == "checkpoints" and item.is_dir() and any(item.iterdir()):
            return True
        if item.name == METRICS and item.stat().st_size > 0:
            return True
    return False


def _clear_failed_start(path: Path) -> None:
    """Remove what a failed start left, so the new run's settings and validations are its own."""
    for name in (CONFIG, METRICS, "wandb-run-id"):
        (path / name).unlink(missing_ok=True)
    for name in ("val", "tensorboard", "wandb"):
        shutil.rmtree(path / name, ignore_errors=True)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_manifest(checkpoint: Path) -> None:
    """Flush each file of ``checkpoint`` to disk and write :data:`MANIFEST`: its files' sizes and digests."""
    files = {}
    for item in sorted(checkpoint.rglob("*")):
        if item.is_file() and item.name != MANIFEST:
            with item.open("rb+") as f:
                os.fsync(f.fileno())
            files[item.relative_to(checkpoint).as_posix()] = {"bytes": item.stat().st_size, "sha256": _digest(item)}
    write_text_atomic(checkpoint / MANIFEST, json.dumps({"files": files}, indent=1, sort_keys=True) + "\n")


def verify_checkpoint(checkpoint: Path) -> None:
    """Raise :class:`RunDirError` naming the first file of ``checkpoint`` that is missing, of another size
    or another digest than its manifest says (a checkpoint from before manifests is taken as it is)."""
    manifest = checkpoint / MANIFEST
    if not manifest.exists():
        return
    try:
        files = json.loads(manifest.read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise RunDirError(f"checkpoint {checkpoint}: its manifest {manifest} is unreadable") from None
    for name, want in files.items():
        path = checkpoint / name
        if not path.is_file():
            raise RunDirError(f"checkpoint {checkpoint} is damaged: {path} is missing")
        size = path.stat().st_size
        if size != want["bytes"]:
            raise RunDirError(
                f"checkpoint {checkpoint} is damaged: {path} has {size:,} bytes, {want['bytes']:,} were written"
            )
        if _digest(path) != want["sha256"]:
            raise RunDirError(f"checkpoint {checkpoint} is damaged: {path} is not what was written (SHA-256 differs)")


class RunDir:
    """The folder of one training run (see the module docstring). Rank 0 writes; the others only read."""

    def __init__(self, path: str | Path, *, resume: bool, writer: bool = True):
        self.path = Path(path)
        self.writer = writer
        self._lock_fh = None
        if writer:
            check_output_dir(self.path)
            if resume and not (self.path / CONFIG).exists():
                raise RunDirError(f"--resume: {self.path} holds no run (no {CONFIG}); start one without --resume")
            existed = self.path.exists()
            self.path.mkdir(parents=True, exist_ok=True)
            # the lock first: a second `clue train` on this folder stops here and touches nothing
            self._lock_fh = (self.path / ".lock").open("a")
            try:
                lock(self._lock_fh, self.path)
                if existed and not resume:
                    if _holds_a_run(self.path):
                        raise RunDirError(
                            f"--out {self.path} already holds a run; pass --resume to continue it, "
                            "or choose another --out"
                        )
                    _clear_failed_start(self.path)
                (self.path / "checkpoints").mkdir(exist_ok=True)
            except BaseException:
                self.close()
                raise

    def close(self) -> None:
        if self._lock_fh is not None:
            self._lock_fh.close()
            self._lock_fh = None

    # -- config ----------------------------------------------------------------------------------

    @property
    def config_file(self) -> Path:
        return self.path / CONFIG

    def write_config(self, toml: str) -> None:
        write_text_atomic(self.config_file, toml)

    # -- checkpoints -----------------------------------------------------------------------------

    def checkpoint_dir(self, iteration: int) -> Path:
        return self.path / "checkpoints" / f"iter-{iteration:06d}"

    def staging_dir(self, iteration: int) -> Path:
        """Where iteration ``iteration``'s checkpoint is written before :meth:`commit` renames it."""
        staging = self.path / "checkpoints" / f".iter-{iteration:06d}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        return staging

    def commit(self, iteration: int, staging: Path, best: bool) -> Path:
        """Flush every file of the ``staging`` checkpoint to disk, list them in its manifest (sizes and
        SHA-256), read them back against it, then rename it into place, point ``latest`` (and ``best``)
        at it, and delete the checkpoints neither points to any more. A checkpoint that fails the
        check raises :class:`RunDirError` and is never pointed at."""
        write_manifest(staging)
        verify_checkpoint(staging)
        final = self.checkpoint_dir(iteration)
        if final.exists():  # a checkpoint of this iteration from a run that was killed after writing it
            shutil.rmtree(final)
        staging.rename(final)
        self._point("latest", final)
        if best:
            self._point("best", final)
        keep = {p.resolve() for p in (self.path / "latest", self.path / "best") if p.exists()}
        for old in (self.path / "checkpoints").glob("iter-*"):
            if old.resolve() not in keep:
                shutil.rmtree(old, ignore_errors=True)
        return final

    def discard_staging(self, iteration: int) -> None:
        """Remove what a checkpoint that failed to be written left (a full disk, say)."""
        shutil.rmtree(self.path / "checkpoints" / f".iter-{iteration:06d}.tmp", ignore_errors=True)

    def _point(self, name: str, target: Path) -> None:
        link = self.path / name
        tmp = self.path / f".{name}.tmp"
        tmp.unlink(missing_ok=True)
        os.symlink(os.path.relpath(target, self.path), tmp)
        os.replace(tmp, link)

    def latest(self) -> Path | None:
        """The last complete checkpoint, or None."""
        link = self.path / "latest"
        return link.resolve() if link.exists() and (link / STATE).exists() else None

    # -- metrics ---------------------------------------------------------------------------------

    @property
    def metrics_file(self) -> Path:
        return self.path / METRICS

    def read_metrics(self) -> list[dict[str, Any]]:
        """Every complete metrics line (a torn last line from a killed run is ignored)."""
        if not self.metrics_file.exists():
            return []
        out = []
        raw = self.metrics_file.read_text(encoding="utf-8")
        lines = raw.split("\n")
        for number, line in enumerate(lines[:-1], 1):  # the part after the last newline is torn or empty
            if line.strip():
                try:
                    out.append(json.loads(line))
                except ValueError:
                    raise RunDirError(f"{self.metrics_file}:{number}: not a JSON line; fix or remove it") from None
        return out

    def keep_metrics_until(self, iteration: int, last: dict[str, Any] | None) -> list[dict[str, Any]]:
        """On resume: keep the lines of iterations up to ``iteration`` (later ones are redone), with
        ``last`` (the checkpoint's own record) present exactly once."""
        kept = [m for m in self.read_metrics() if m.get("iteration", math.inf) <= iteration]
        if last is not None and not any(m.get("iteration") == last.get("iteration") for m in kept):
            kept.append(last)
        seen: set = set()
        unique = []
        for m in kept:
            if m.get("iteration") not in seen:
                seen.add(m.get("iteration"))
                unique.append(m)
        write_text_atomic(self.metrics_file, "".join(json.dumps(m) + "\n" for m in unique))
        return unique

    def append_metrics(self, record: dict[str, Any]) -> None:
        with self.metrics_file.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({k: _json_safe(v) for k, v in record.items()}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
