"""The supervised fine-tuning recipe behind ``clue train --trainer sft``: one readable file, GRPO's life cycle.

    setup()       settings, processes, the data (read, filtered, split, rendered once), the policy, AdamW
    iterate(i)    step i's traces -> packed rows -> the token-level cross-entropy -> one AdamW step
    validate(i)   the mean token loss on the held-out puzzles' traces
    checkpoint(i) a whole Hugging Face checkpoint + the trainer's state; ``latest``/``best`` switched
    cleanup()     trackers, display, the run folder's lock, the process group

The data are ``clue eval`` output (``data``): each episode a trace (one-shot or investigation), filtered
(``min_reward``, ``best_of``, ``max_per_puzzle``, truncated ones), split by puzzle id into training
and held-out traces, and rendered once with the base model's tokenizer as ``clue train`` renders a
played episode (:mod:`trainers.sft_data`: every reply trained with its end-of-turn token, the prompt
and the environment's answers context). Each epoch visits the training traces in an order fixed by
``seed`` and the epoch, ``samples_per_step`` per optimizer step (one iteration), packed into rows of
``row_len`` with each prompt stored once per row (:mod:`trainers.sft_steps`). Every ``val_every``
iterations (and before the first and after the last) the held-out traces' mean token loss is
``val_loss``; the checkpoint with the lowest is ``best``, beside ``latest`` (every ``save_every``).
A checkpoint is a Hugging Face directory: ``clue eval --agent vllm --model DIR/best`` plays it.

Everything that can stop a start (no data, a bad source, nothing left after the filters, bad
settings, a bad model) is raised before the run folder is written. ``--resume`` continues from
``latest`` with its optimizer state, RNG and data position (epoch, step), and equals a run never
interrupted; SIGTERM stops at a safe point, saves, and exits 143.

Processes: one, or ``torchrun --nproc-per-node N``: every rank trains its share of each step's rows of
an FSDP2-sharded policy; rank 0 reads and renders the data (and sends it to the others), and owns the
display and the files.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from trainers.config import ConfigError
from trainers.processes import Processes, broadcast, start_processes
from trainers.run_dir import CONFIG, STATE, RunDir, RunDirError
from trainers.sft_config import SFTConfig, resolve_config
from trainers.sft_steps import (
    SFTData,
    data_position,
    mean_token_loss,
    pack_samples,
    prepare_data,
    sft_step,
    step_indices,
    steps_per_epoch,
    total_iterations,
)
from trainers.spec import TrainRequest
from trainers.startup import base_weights
from trainers.steps import StepError, lr_factor
from trainers.stopping import SafeStop, StopRequested
from trainers.throughput import per_second
from trainers.traces import TraceError
from trainers.trackers import Trackers, check_trackers
from trainers.trainer_state import (
    adapter_state,
    load_latest,
    restore_training,
    resume_hint,
    trainer_state,
    training_device,
    training_dtype,
)

__all__ = ["SFTError", "SFTRecipe", "load_tokenizer", "metric_names", "run"]


class SFTError(ValueError):
    """The run cannot go on (non-finite loss, out of memory, a checkpoint that cannot be written): the
    message says what happened and which checkpoint a ``--resume`` starts from (one line)."""


def load_tokenizer(model_dir: Path):
    """The tokenizer of the model in ``model_dir``, as the vLLM engine loads it (``AutoTokenizer``)."""
    try:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(model_dir))
    except (OSError, ValueError, KeyError) as err:
        raise ConfigError(f"model {model_dir}: cannot load its tokenizer ({' '.join(str(err).split())})") from None


class SFTRecipe:
    """See the module docstring. ``SFTRecipe(config, out_dir, resume).run()``."""

    def __init__(self, config: SFTConfig, out_dir: str | Path, resume: bool = False, console=None):
        self.config, self.out_dir, self.resume = config, Path(out_dir), resume
        self.console = console
        self.procs = Processes(0, 1, 0)
        self.run_dir: RunDir | None = None
        self.data: SFTData | None = None
        self.val_batch = None
        self.start_iteration = 0
        self.iterations = 0
        self.best_val: float | None = None
        self.history: list[dict[str, Any]] = []
        self.trackers: Trackers | None = None

    # ------------------------------------------------------------------ setup

    def setup(self) -> None:
        c = self.config
        # the settings, the weights and the data first: a run that cannot start leaves no folder behind
        if not c.sources:
            raise ConfigError(
                "settings: data names no `clue eval` output; give --set data=DIR[,DIR...] "
                "(folders or results.jsonl files)"
            )
        tracker_list = check_trackers(c.report_to)
        self.procs = start_processes()
        self.base_dir = base_weights(c)
        self._check_model()
        self.data = self._read_data()
        self.iterations = total_iterations(c, len(self.data.train))
        self.per_epoch = steps_per_epoch(len(self.data.train), c.samples_per_step)
        # the lr schedule's length: the run's iterations (``iterations`` = 0 means "from the epochs")
        self.schedule = c.replace(iterations=self.iterations)
        self.run_dir = RunDir(self.out_dir, resume=self.resume, writer=self.procs.main)
        self.device = training_device(self.procs.local_rank)
        self.dtype = training_dtype(c.dtype, self.device)
        state = self._saved_state() if self.resume else None
        start_dir = Path(state["checkpoint"]) if state else self.base_dir
        random.seed(c.seed)
        torch.manual_seed(c.seed)

        from trainers.tune import LoraSettings, load_policy

        lora = LoraSettings(rank=c.lora_rank, alpha=c.lora_alpha) if c.lora_rank else None
        self.policy = load_policy(
            self.base_dir if lora else start_dir,
            max_seq_len=c.row_len,
            device=self.device,
            dtype=self.dtype,
            lora=lora,
            activation_checkpointing=c.activation_checkpointing,
            rank=self.procs.rank,
            world_size=self.procs.world_size,
        )
        self.optimizer = torch.optim.AdamW(
            self.policy.trainable_parameters(),
            lr=c.learning_rate,
            betas=(c.adam_beta1, c.adam_beta2),
            weight_decay=c.weight_decay,
        )
        if self.data.val:
            self.val_batch = pack_samples(self.data.val, range(len(self.data.val)), c.row_len)
        if state is not None:
            self._restore(state)
        elif self.resume and self.procs.main:  # stopped before its first checkpoint: it starts again
            self.history = self.run_dir.keep_metrics_until(-1, None)
        if self.console is not None and getattr(self.console, "iterations", 0) is None:
            self.console.iterations = self.iterations  # known once the data are read
        if self.procs.main:
            self.run_dir.write_config(c.to_toml())
            first = self.start_iteration + 1 if state is not None else 0
            self.trackers = Trackers(tracker_list, self.out_dir, c.to_dict(), c.to_toml(), first_step=first)
            self._note(self.data.summary() + f"; {self.iterations} iterations ({self.per_epoch} per epoch)")

    def _check_model(self) -> None:
        """The starting weights are a model the backend trains, with room for a row."""
        from trainers.tune import BackendError, read_hf_config

        try:
            hf = read_hf_config(self.base_dir)
        except BackendError as err:
            raise ConfigError(f"settings: {err}") from None
        context = hf.get("max_position_embeddings")
        if isinstance(context, int) and self.config.row_len > context:
            raise ConfigError(
                f"settings: row_len={self.config.row_len} is longer than the model's context ({context}); lower row_len"
            )

    def _read_data(self) -> SFTData:
        """Rank 0 reads and renders the data and sends it (or the error it met) to the other ranks."""
        data: SFTData | Exception | None = None
        if self.procs.main:
            try:
                data = prepare_data(self.config, load_tokenizer(self.base_dir))
            except (TraceError, ConfigError) as err:
                data = err
        data = broadcast(data, self.procs)
        if isinstance(data, Exception):
            raise data
        return data

    # ------------------------------------------------------------------ one iteration

    def iterate(self, iteration: int) -> dict[str, Any]:
        """One optimizer step (``iteration`` from 0) over its traces; the metrics record of it."""
        c = self.config
        train = self.data.train
        epoch, step = data_position(iteration, len(train), c.samples_per_step)
        indices = step_indices(iteration, len(train), c.samples_per_step, c.seed)
        t = time.perf_counter()
        batch = pack_samples(train, indices, c.row_len)
        packing_s = time.perf_counter() - t
        self._show(iteration, "training")
        lr = c.learning_rate * lr_factor(self.schedule, iteration)
        t = time.perf_counter()
        try:
            result = sft_step(
                self.policy,
                self.optimizer,
                batch,
                lr=lr,
                max_grad_norm=c.max_grad_norm,
                micro_batch_rows=c.micro_batch_rows,
                device=self.device,
                rank=self.procs.rank,
                world_size=self.procs.world_size,
            )
        except StepError as err:
            raise SFTError(f"iteration {iteration + 1}: {err}; {self._resume_hint()}") from None
        training_s = time.perf_counter() - t
        return {
            "iteration": iteration + 1,
            "epoch": round(epoch + (step + 1) / self.per_epoch, 6),
            "loss": result.loss,
            "tokens_trained": result.tokens,
            "samples": len(indices),
            "rows": batch.num_rows,
            "grad_norm": result.grad_norm,
            "lr": lr,
            "packing_s": round(packing_s, 4),
            "training_s": round(training_s, 4),
            "trained_tokens_per_s": per_second(result.tokens, training_s),
        }

    # ------------------------------------------------------------------ validation and checkpoints

    def validate(self) -> float:
        """The mean token loss of the held-out traces (every rank takes part)."""
        return mean_token_loss(
            self.policy,
            self.val_batch,
            micro_batch_rows=self.config.micro_batch_rows,
            device=self.device,
            rank=self.procs.rank,
            world_size=self.procs.world_size,
        )

    def checkpoint(self, iteration: int, record: dict[str, Any], is_best: bool) -> None:
        """Write the checkpoint of ``iteration`` whole, then switch ``latest`` (and ``best``) to it.
        Every rank takes part (weights and optimizer state are gathered); rank 0 writes."""
        staging = self.run_dir.staging_dir(iteration) if self.procs.main else Path(".")
        try:
            self._write_checkpoint(iteration, staging, record, is_best)
        except (OSError, RunDirError) as err:  # a full disk, a quota, a checkpoint that did not read back
            if self.procs.main:
                self.run_dir.discard_staging(iteration)
            raise SFTError(
                f"could not save the checkpoint of iteration {iteration}: {err}; {self._resume_hint()}"
            ) from None

    def _write_checkpoint(self, iteration: int, staging: Path, record: dict[str, Any], is_best: bool) -> None:
        c = self.config
        self.policy.save_checkpoint(staging)
        optimizer_state = self.policy.optimizer_state_dict(self.optimizer)
        if not self.procs.main:
            return
        epoch, step = data_position(iteration, len(self.data.train), c.samples_per_step)
        (staging / STATE).parent.mkdir(parents=True, exist_ok=True)
        state = trainer_state(
            iteration,
            optimizer_state,
            self.best_val,
            record,
            adapter_state(self.policy, c.lora_rank),
            # where the next iteration starts in the data (each epoch's order is fixed by seed and epoch)
            data={
                "epoch": epoch,
                "step": step,
                "train": len(self.data.train),
                "val": len(self.data.val),
                "fingerprint": self.data.fingerprint,
            },
        )
        torch.save(state, staging / STATE)
        (staging / CONFIG).write_text(c.to_toml(), encoding="utf-8")
        self.run_dir.commit(iteration, staging, best=is_best)

    def _saved_state(self) -> dict | None:
        state = load_latest(self.run_dir)
        if state is None:
            return None
        saved = state.get("data") or {}
        if saved.get("fingerprint") != self.data.fingerprint:
            raise ConfigError(
                f"--resume: the data differ from those {self.out_dir} was trained on ({saved.get('train')} training "
                f"and {saved.get('val')} held-out traces then, {len(self.data.train)} and {len(self.data.val)} now, "
                "or other tokens); resume with the same data and filters, or start a new run"
            )
        return state

    def _restore(self, state: dict) -> None:
        self.start_iteration = int(state["iteration"])
        self.best_val = state["best_val"]
        restore_training(self.policy, self.optimizer, state)
        if self.procs.main:
            self.history = self.run_dir.keep_metrics_until(self.start_iteration, state.get("record"))

    def _resume_hint(self) -> str:
        return resume_hint(self.run_dir, f"clue train --trainer sft --resume --out {self.out_dir}")

    # ------------------------------------------------------------------ the loop

    def run(self) -> dict[str, Any]:
        with SafeStop() as stop:
            return self._run(stop)

    def _validating(self) -> bool:
        return bool(self.config.val_every and self.val_batch is not None)

    def _run(self, stop: SafeStop) -> dict[str, Any]:
        c = self.config
        last: dict[str, Any] = self.history[-1] if self.history else {}
        if self._validating() and self.start_iteration == 0 and not self.history:
            self._validate_start()
        for i in range(self.start_iteration, self.iterations):
            start = time.perf_counter()
            record = self.iterate(i)
            done = i + 1
            final = done == self.iterations
            is_best = False
            if self._validating() and (done % c.val_every == 0 or final):
                self._show(i, "validation")
                t = time.perf_counter()
                record["val_loss"] = self.validate()
                record["validation_s"] = round(time.perf_counter() - t, 4)
                is_best = self.best_val is None or record["val_loss"] < self.best_val
                if is_best:
                    self.best_val = record["val_loss"]
            is_best = bool(broadcast(is_best, self.procs))
            stopping = broadcast(stop.requested, self.procs) if not final else None
            record["seconds"] = round(time.perf_counter() - start, 4)
            if done % c.save_every == 0 or final or is_best or stopping:
                self._show(i, "checkpoint")
                t = time.perf_counter()
                self.checkpoint(done, record, is_best)
                record["checkpoint_s"] = round(time.perf_counter() - t, 4)
            if self.procs.main:
                self.run_dir.append_metrics(record)
                self.history.append(record)
                self._report(record)
            last = record
            if stopping:
                raise StopRequested(
                    stopping,
                    f"after iteration {done} of {self.iterations}, saved in {self.out_dir / 'latest'}; "
                    "continue with --resume",
                )
        if self.procs.main:
            from trainers.plot import plot_run

            if self.history:
                plot_run(self.out_dir)
        return last

    def _validate_start(self) -> None:
        """Iteration 0's line: the starting model's validation loss, the baseline the curve starts from."""
        self._show(-1, "validation")
        t = time.perf_counter()
        self.best_val = self.validate()
        if self.procs.main:
            record = {"iteration": 0, "val_loss": self.best_val, "validation_s": round(time.perf_counter() - t, 4)}
            self.run_dir.append_metrics(record)
            self.history.append(record)
            self._report(record)

    def cleanup(self) -> None:
        if self.trackers is not None:
            self.trackers.close()
            self.trackers = None
        if self.console is not None and hasattr(self.console, "close"):
            self.console.close()
        if self.run_dir is not None:
            self.run_dir.close()
        if self.procs.world_size > 1 and dist.is_initialized():
            dist.destroy_process_group()

    # ------------------------------------------------------------------ display

    def _show(self, iteration: int, phase: str) -> None:
        if self.procs.main and self.console is not None:
            self.console.phase(iteration, phase, self.history)

    def _report(self, record: dict[str, Any]) -> None:
        if self.console is not None:
            self.console.iteration_done(record)
        if self.trackers is not None:
            self.trackers.log(record)

    def _note(self, text: str) -> None:
        if self.procs.main and self.console is not None and hasattr(self.console, "note"):
            self.console.note(text)


def run(request: TrainRequest, console=None) -> dict[str, Any]:
    """Fine-tune as ``request`` asks (``clue train --trainer sft``); returns the last iteration's metrics."""
    config = resolve_config(request)
    if console is None:
        from trainers.display import SFTDisplay

        console = SFTDisplay()
    recipe = SFTRecipe(config, request.out_dir, request.resume, console=console)
    try:
        recipe.setup()
        return recipe.run()
    finally:
        recipe.cleanup()


def metric_names() -> tuple[str, ...]:
    """The fields every training line of metrics.jsonl has (``val_loss`` and more where they apply)."""
    return (
        "iteration",
        "epoch",
        "loss",
        "tokens_trained",
        "samples",
        "grad_norm",
        "lr",
        "seconds",
        "trained_tokens_per_s",
    )
