"""The GRPO recipe behind ``clue train``: one readable file with a fixed life cycle.

    setup()       settings, processes, the policy (torchtune), AdamW, the vLLM engine, the puzzles
    iterate(i)    rollouts -> scoring -> advantages -> packing -> training -> weight sync
    checkpoint(i) a whole Hugging Face checkpoint + the trainer's state; ``latest``/``best`` switched
    cleanup()     engine, worker processes, process group

Each iteration takes ``tasks_per_iteration`` fresh puzzles (seeds derived from the run's seed
and the iteration, so a resumed run replays the same ones), samples ``samples_per_task``
answers to each with the ``vllm`` agent (at most ``rollout_concurrency`` puzzles in flight),
grades them with the environment's grader, computes group-relative advantages, packs the exact
sampled token ids with each group's prompt stored once per row, takes
``optimizer_steps_per_iteration`` AdamW steps on the clipped policy-gradient loss (the math is
``trainers.advantages/packing/masks/loss``), and moves the new weights into the running engine.
Every ``val_every`` iterations the engine answers held-out puzzles (``evaluation.evaluate``);
the best checkpoint by validation reward is kept beside the latest. ``DIR/metrics.jsonl`` gets
one line per iteration.

With ``max_off_policy_steps = 1`` the next iteration's rollouts are sampled while this one trains
(:mod:`trainers.pipeline`), and the loss corrects for their one iteration of lag
(:mod:`trainers.off_policy`).

Processes: one, or ``torchrun --nproc-per-node N`` (gloo on CPUs, NCCL on GPUs). Every rank
trains its share of the rows of an FSDP2-sharded policy; rank 0 also owns the vLLM engine, the
validation, the display and the files, and broadcasts each iteration's samples to the others.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from agents.config import AgentConfig
from agents.vllm import VllmAgent
from trainers.advantages import compute_advantages
from trainers.config import GRPOConfig
from trainers.curriculum import Curriculum, Plan
from trainers.pipeline import RolloutPipeline
from trainers.processes import Processes, broadcast, start_processes
from trainers.puzzle_source import TRAIN_SEED_RANGE, PuzzleSource, check_puzzle_settings, train_seed
from trainers.rollouts import RolloutError, collect
from trainers.run_dir import CONFIG, STATE, RunDir, RunDirError
from trainers.scoring import ScoredBatch, no_signal_note
from trainers.spec import TrainRequest
from trainers.startup import (
    RESUMABLE_CHANGES,
    base_weights,
    check_context,
    curriculum_of,
    engine_options,
    resolve_config,
)
from trainers.steps import StepError, split_steps, train_iteration
from trainers.stopping import SafeStop, StopRequested
from trainers.throughput import FlopModel, mfu, peak_tflops, per_second
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
from trainers.validation import Validation, check_ladder, load_validation, validate
from trainers.weight_sync import WeightSync

__all__ = ["GRPORecipe", "RESUMABLE_CHANGES", "TrainError", "resolve_config", "run", "train_seed", "TRAIN_SEED_RANGE"]


class TrainError(ValueError):
    """The run cannot go on (non-finite loss, out of memory, engine crash): the message says what
    happened and which checkpoint a ``--resume`` starts from. A ValueError, so that the CLI's one
    error path prints it as one line (``CLUE_DEBUG=1`` for the traceback)."""


# --------------------------------------------------------------------------- the recipe


class GRPORecipe:
    """See the module docstring. ``GRPORecipe(config, out_dir, resume).run()``."""

    def __init__(self, config: GRPOConfig, out_dir: str | Path, resume: bool = False, console=None):
        self.config, self.out_dir, self.resume = config, Path(out_dir), resume
        self.console = console
        self.procs = Processes(0, 1, 0)
        self.run_dir: RunDir | None = None
        self.agent = None
        self.source: PuzzleSource | None = None
        self.curriculum: Curriculum | None = None
        self.plan: Plan | None = None
        self.sync: WeightSync | None = None
        self.pipeline: RolloutPipeline | None = None  # rank 0's, with max_off_policy_steps
        self.stop: SafeStop | None = None
        self.engine_lost = False  # rank 0: the engine failed after a stop was asked (a signal to its group)
        self.engine_weights = 0  # iterations trained into the engine's weights
        self.start_iteration = 0
        self.best_val: float | None = None
        self.history: list[dict[str, Any]] = []
        self.val_by_difficulty: dict[str, float] = {}
        self.validation: Validation | None = None  # rank 0's held-out tasks
        self.trackers: Trackers | None = None  # rank 0's

    # ------------------------------------------------------------------ setup

    def setup(self) -> None:
        # the curriculum, the weights and the GPUs first: a run that cannot start leaves no folder behind
        self.curriculum = curriculum_of(self.config)
        self.val_levels = check_ladder(self.config)
        check_puzzle_settings(self.config)
        tracker_list = check_trackers(self.config.report_to)
        c = self.config
        self.procs = start_processes()
        self.base_dir = base_weights(c)
        check_context(c, self.base_dir)
        self.device = training_device(self.procs.local_rank)
        self.engine_options = engine_options(c, self.device, self.procs.world_size)
        self.run_dir = RunDir(self.out_dir, resume=self.resume, writer=self.procs.main)
        self.dtype = training_dtype(c.dtype, self.device)
        state = self._saved_state() if self.resume else None
        start_dir = Path(state["checkpoint"]) if state else self.base_dir
        if self.procs.main:  # first: an engine in this process seeds the global generators itself
            self.agent = self._start_engine(start_dir)
            # asleep while the trainer steps, unless it samples the next iteration meanwhile
            asleep = self.device.type == "cuda" and not c.max_off_policy_steps
            self.sync = WeightSync(self.agent, sleep_level=1 if asleep else None)
            if c.max_off_policy_steps:
                self.pipeline = RolloutPipeline(lambda iteration: self._collect(iteration, quiet=True))
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
            offload_activations=c.activation_offloading,
            rank=self.procs.rank,
            world_size=self.procs.world_size,
        )
        # The KL term's reference: the starting weights, frozen (with LoRA: the base, adapters off).
        self.reference = None
        if c.kl_coef > 0:
            self.reference = load_policy(
                self.base_dir,
                max_seq_len=c.row_len,
                device=self.device,
                dtype=self.dtype,
                rank=self.procs.rank,
                world_size=self.procs.world_size,
            )
            self.reference.model.eval().requires_grad_(False)
        self.flop_model = FlopModel.of(self.policy.model, json.loads((self.base_dir / "config.json").read_text()))
        self.peak_tflops = peak_tflops(self.device, c.peak_tflops)[0]
        self.optimizer = torch.optim.AdamW(
            self.policy.trainable_parameters(),
            lr=c.learning_rate,
            betas=(c.adam_beta1, c.adam_beta2),
            weight_decay=c.weight_decay,
        )
        if state is not None:
            self._restore(state)
        elif self.resume and self.procs.main:  # stopped before its first checkpoint: it starts over
            self.run_dir.keep_metrics_until(-1, None)
            shutil.rmtree(self.out_dir / "val", ignore_errors=True)
        if self.procs.main:
            self.run_dir.write_config(c.to_toml())
            self.source = PuzzleSource(c)
            self._queue(self.start_iteration)
            self.validation = load_validation(c, self.val_levels)
            first = self.start_iteration + 1 if state is not None else 0  # a resumed run redoes what follows
            self.trackers = Trackers(tracker_list, self.out_dir, c.to_dict(), c.to_toml(), first_step=first)

    def _start_engine(self, weights_dir: Path) -> VllmAgent:
        c = self.config
        config = AgentConfig(model=str(weights_dir), seed=c.seed)
        agent = VllmAgent(config, model_path=weights_dir, options=self.engine_options)
        agent.start()
        return agent

    def _queue(self, iteration: int) -> None:
        """Plan ``iteration`` (its difficulties) and start making its puzzles."""
        if iteration >= self.config.iterations:
            return
        self.plan = self.curriculum.plan(iteration)
        self.source.queue(iteration, self.plan)

    # ------------------------------------------------------------------ one iteration

    def iterate(self, iteration: int) -> dict[str, Any]:
        c = self.config
        seconds: dict[str, float] = {}
        clock = time.perf_counter()

        def phase(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            seconds[f"{name}_s"] = round(now - clock, 4)
            clock = now

        batch: ScoredBatch | None = None
        plan = self.plan
        staleness = 0
        if self.procs.main:
            try:
                ahead = self.pipeline.take(iteration) if self.pipeline else None
                if ahead is not None:  # sampled while the last iteration trained
                    batch, staleness = ahead.batch, ahead.staleness
                    seconds.update(ahead.timing)
                    seconds["rollout_wait_s"] = ahead.wait_s
                else:
                    batch, timing = self._collect(iteration)
                    seconds.update(timing)
            except TrainError:
                if not self._stopping():
                    raise
                batch = None
            if self._stopping() and (batch is None or batch.failed):  # the signal reached the engine too
                batch = None
        batch = broadcast(batch, self.procs)
        if batch is None:  # nothing of this iteration was applied: stop at the last checkpoint, every rank
            raise self._stopped_at_checkpoint()
        if self.procs.main:
            note = self.curriculum.observe(batch.pass_rate)
            if note:
                self._note(note)
            self._queue(iteration + 1)  # made while this iteration trains
            if self.pipeline and iteration + 1 < c.iterations:
                self.pipeline.start(iteration + 1, self.engine_weights)
            clock = time.perf_counter()
        self._show(iteration, "packing")
        adv = compute_advantages(batch.samples, c)
        steps = split_steps(adv.scored, c)
        phase("packing")
        self._show(iteration, "training")
        if self.procs.main:
            self.sync.release()
        metrics = self._train(steps, iteration)
        phase("training")
        self._show(iteration, "weight sync")
        self._sync_weights(iteration)
        phase("weight_sync")
        record = {
            "iteration": iteration + 1,
            "staleness": staleness,
            "mean_reward": batch.mean_reward,
            "pass_rate": batch.pass_rate,
            "solved_rate": batch.solved_rate,
            "tokens_trained": metrics.pop("tokens_trained"),
            **metrics,
            "groups": adv.groups,
            "groups_dropped": adv.dropped_groups + (batch.zero_variance_groups if c.dynamic_sampling else 0),
            "truncated": adv.truncated,
            "too_long": sum(len(s.too_long) for s in steps),
            "answer_tokens": batch.answer_tokens,
            "failed_samples": batch.failed,
            "lr": self.optimizer.param_groups[0]["lr"],
            **self._difficulty_fields(plan),
            "zero_variance_share": round(batch.zero_variance_share, 6),
            "zero_variance_token_share": round(batch.zero_variance_token_share, 6),
            "rollout_rounds": batch.rollout_rounds,
            "groups_rolled": batch.groups_rolled,
            "rollout_tokens": batch.rollout_tokens,
            "wasted_rollout_tokens": batch.wasted_rollout_tokens,
            **seconds,
        }
        record.update(self._throughput(record, steps))
        if batch.mean_questions is not None:  # investigations: questions asked per episode
            record["mean_questions"] = batch.mean_questions
        if self.procs.main:
            record["preemptions"] = self.agent.stats().preemptions
        return record

    def _throughput(self, record: dict[str, Any], steps: list) -> dict[str, Any]:
        """``rollout_tokens_per_s`` (sampled tokens over the rollout phase), ``trained_tokens_per_s``
        (over the training phase, every rank's together) and ``mfu`` (model FLOPs of the training
        phase over the devices' peak; None without one: a CPU, unless ``peak_tflops`` is set)."""
        training_s = record["training_s"]
        return {
            "rollout_tokens_per_s": per_second(record["rollout_tokens"], record.get("rollout_s", 0.0)),
            "trained_tokens_per_s": per_second(record["tokens_trained"], training_s),
            "mfu": mfu(self.flop_model.flops(steps), training_s, self.peak_tflops, self.procs.world_size),
        }

    def _difficulty_fields(self, plan: Plan | None) -> dict[str, Any]:
        """``difficulty``: the position on the variant's scale (None for a puzzle file); ``difficulty_mix``:
        how many of the iteration's puzzles came from each level."""
        if plan is None or self.source is None or self.source.variant is None:
            return {"difficulty": None, "difficulty_mix": None}
        position = plan.position if plan.position is not None else self.source.variant.rung(plan.difficulties[0])
        return {"difficulty": round(float(position), 6), "difficulty_mix": plan.counts()}

    def _collect(self, iteration: int, quiet: bool = False) -> tuple[ScoredBatch, dict[str, float]]:
        """Iteration ``iteration``'s scored rollouts; ``quiet``: on the pipeline's thread (no display)."""
        show = (lambda phase: None) if quiet else (lambda phase: self._show(iteration, phase))
        try:
            return collect(self.agent, self.source, self.config, iteration, show)
        except RolloutError as err:
            raise TrainError(f"{err}; {self._resume_hint()}") from None

    def _train(self, steps: list, iteration: int) -> dict[str, Any]:
        try:
            return train_iteration(
                self.policy,
                self.optimizer,
                steps,
                self.config,
                iteration,
                device=self.device,
                rank=self.procs.rank,
                world_size=self.procs.world_size,
                reference=self.reference,
            )
        except StepError as err:
            raise TrainError(f"{err}; {self._resume_hint()}") from None

    def _sync_weights(self, iteration: int) -> None:
        weights = self.policy.hf_state_dict()  # every rank gathers; rank 0 gets the tensors
        if not self.procs.main:
            self.engine_weights = iteration + 1
            return
        try:
            if self.pipeline:  # the next iteration's rollouts finish on the old weights first
                self.pipeline.wait()
            try:
                self.sync.push(weights.items(), step=iteration)
            except (ValueError, RuntimeError) as err:
                raise TrainError(f"moving the new weights into vLLM failed: {err}; {self._resume_hint()}") from None
        except TrainError:
            if not self._stopping():
                raise
            self.engine_lost = True  # stopping anyway: the run stops at its last checkpoint
        self.engine_weights = iteration + 1

    def _stopping(self) -> bool:
        return self.stop is not None and self.stop.requested is not None

    def _stopped_at_checkpoint(self) -> StopRequested:
        """A stop whose signal also ended the engine (torchrun and SLURM signal a worker's whole process
        group): the iteration cannot finish, so the run stops at its last checkpoint, every rank alike."""
        latest = self.run_dir.latest() if self.procs.main and self.run_dir else None
        where = broadcast(str(latest) if latest else None, self.procs)
        signum = self.stop.requested if self._stopping() else signal.SIGTERM
        place = f"at the last checkpoint, {where}" if where else "before the first checkpoint"
        return StopRequested(signum, f"the signal reached the vLLM engine too; stopped {place}; continue with --resume")

    # ------------------------------------------------------------------ validation and checkpoints

    def validate(self, iteration: int) -> float:
        """The held-out reward on the target level (``DIR/val/iter-N/``), and on each ``val_ladder``
        level (``DIR/val/iter-N/difficulty-D/``, kept in :attr:`val_by_difficulty`)."""
        reward, self.val_by_difficulty = validate(self.agent, self.validation, self.out_dir, self.config, iteration)
        return reward

    def checkpoint(self, iteration: int, record: dict[str, Any], is_best: bool) -> None:
        """Write the checkpoint of ``iteration`` whole, then switch ``latest`` (and ``best``) to it.
        Every rank takes part (weights and optimizer state are gathered); rank 0 writes."""
        run_dir = self.run_dir
        staging = run_dir.staging_dir(iteration) if self.procs.main else Path(".")
        try:
            self._write_checkpoint(iteration, staging, record, is_best)
        except (OSError, RunDirError) as err:  # a full disk, a quota, a checkpoint that did not read back
            if self.procs.main:
                run_dir.discard_staging(iteration)
            raise TrainError(
                f"could not save the checkpoint of iteration {iteration}: {err}; {self._resume_hint()}"
            ) from None

    def _write_checkpoint(self, iteration: int, staging: Path, record: dict[str, Any], is_best: bool) -> None:
        run_dir = self.run_dir
        self.policy.save_checkpoint(staging)
        optimizer_state = self.policy.optimizer_state_dict(self.optimizer)
        if not self.procs.main:
            return
        (staging / STATE).parent.mkdir(parents=True, exist_ok=True)
        state = trainer_state(
            iteration,
            optimizer_state,
            self.best_val,
            record,
            adapter_state(self.policy, self.config.lora_rank),
            curriculum=self.curriculum.state_dict() if self.curriculum else None,
            pending_rollouts=self.pipeline.state_dict() if self.pipeline else None,
        )
        torch.save(state, staging / STATE)
        (staging / CONFIG).write_text(self.config.to_toml(), encoding="utf-8")
        run_dir.commit(iteration, staging, best=is_best)

    def _saved_state(self) -> dict | None:
        return load_latest(self.run_dir)

    def _restore(self, state: dict) -> None:
        self.start_iteration = self.engine_weights = int(state["iteration"])
        self.best_val = state["best_val"]
        self.curriculum.load_state_dict(state.get("curriculum"))
        restore_training(self.policy, self.optimizer, state)
        if self.pipeline:  # the next iteration's rollouts, sampled before the run stopped
            self.pipeline.load_state_dict(state.get("pending_rollouts"))
        if self.procs.main:
            self.history = self.run_dir.keep_metrics_until(self.start_iteration, state.get("record"))
            for val_dir in (self.out_dir / "val").glob("iter-*"):  # validations of iterations to be redone
                if int(val_dir.name.split("-")[1]) > self.start_iteration:
                    shutil.rmtree(val_dir, ignore_errors=True)

    def _resume_hint(self) -> str:
        return resume_hint(self.run_dir, f"clue train --resume --out {self.out_dir}")

    # ------------------------------------------------------------------ the loop

    def run(self) -> dict[str, Any]:
        with SafeStop() as stop:
            self.stop = stop
            try:
                return self._run(stop)
            finally:
                self.stop = None

    def _run(self, stop: SafeStop) -> dict[str, Any]:
        c = self.config
        last: dict[str, Any] = self.history[-1] if self.history else {}
        if c.val_every and self.start_iteration == 0 and not self.history:
            self._validate_start()
        sampled = sum(r.get("rollout_tokens", 0) for r in self.history)
        for i in range(self.start_iteration, c.iterations):
            if c.rollout_token_budget and sampled >= c.rollout_token_budget:
                break  # a resumed run whose budget was spent before it stopped
            start = time.perf_counter()
            record = self.iterate(i)
            done = i + 1
            sampled += record["rollout_tokens"]  # the scored batch was broadcast: the same on every rank
            final = done == c.iterations or bool(c.rollout_token_budget and sampled >= c.rollout_token_budget)
            is_best = False
            if self.procs.main and c.val_every and (done % c.val_every == 0 or final) and not self.engine_lost:
                self._show(i, "validation")
                t = time.perf_counter()
                record["val_reward"] = self.validate(done)
                if self.val_by_difficulty:
                    record["val_reward_by_difficulty"] = self.val_by_difficulty
                record["validation_s"] = round(time.perf_counter() - t, 4)
                is_best = self.best_val is None or record["val_reward"] > self.best_val
                if is_best:
                    self.best_val = record["val_reward"]
            is_best = bool(broadcast(is_best, self.procs))
            # a SIGTERM (preemption) during the iteration: rank 0's decides for every rank
            stopping = broadcast((None if final else stop.requested, self.engine_lost), self.procs)
            if stopping[1]:  # the engine went with the signal: what this iteration trained is redone on resume
                raise self._stopped_at_checkpoint()
            stopping = stopping[0]
            record["seconds"] = round(time.perf_counter() - start, 4)
            if done % c.save_every == 0 or final or is_best or stopping:  # best is always kept
                self._show(i, "checkpoint")
                t = time.perf_counter()
                self.checkpoint(done, record, is_best)
                record["checkpoint_s"] = round(time.perf_counter() - t, 4)
            if self.procs.main:
                self.run_dir.append_metrics(record)
                self.history.append(record)
                self._report(record)
                note = no_signal_note(self.history, final=False)
                if note:
                    self._note(note)
            last = record
            if stopping:
                raise StopRequested(
                    stopping,
                    f"after iteration {done} of {c.iterations}, saved in {self.out_dir / 'latest'}; "
                    "continue with --resume",
                )
            if final:
                break
        if self.procs.main:
            from trainers.plot import plot_run

            note = no_signal_note(self.history, final=True)
            if note:
                self._note(note)
            plot_run(self.out_dir)
        return last

    def _validate_start(self) -> None:
        """Iteration 0's line: the starting model's validation reward, the baseline the curve starts from."""
        if self.procs.main:
            self._show(-1, "validation")
            t = time.perf_counter()
            self.best_val = self.validate(0)
            record = {"iteration": 0, "val_reward": self.best_val}
            if self.val_by_difficulty:
                record["val_reward_by_difficulty"] = self.val_by_difficulty
            record["validation_s"] = round(time.perf_counter() - t, 4)
            self.run_dir.append_metrics(record)
            self.history.append(record)
            self._report(record)
        self.best_val = broadcast(self.best_val, self.procs)

    def cleanup(self) -> None:
        if self.trackers is not None:
            self.trackers.close()
            self.trackers = None
        if self.console is not None and hasattr(self.console, "close"):
            self.console.close()
        if self.agent is not None:
            self.agent.close()  # first: it ends a collection the pipeline may still be running
            self.agent = None
        if self.pipeline is not None:
            self.pipeline.close()
            self.pipeline = None
        if self.source is not None:
            self.source.close()
            self.source = None
        if self.run_dir is not None:
            self.run_dir.close()
        if self.procs.world_size > 1:
            if dist.is_initialized():
                dist.destroy_process_group()

    # ------------------------------------------------------------------ display

    def _show(self, iteration: int, phase: str) -> None:
        if self.procs.main and self.console is not None:
            self.console.phase(iteration, phase, self.history)

    def _report(self, record: dict[str, Any]) -> None:
        """A metrics line, written: to the display and to the trackers (``report_to``)."""
        if self.console is not None:
            self.console.iteration_done(record)
        if self.trackers is not None:
            self.trackers.log(record)

    def _note(self, text: str) -> None:
        if self.procs.main and self.console is not None and hasattr(self.console, "note"):
            self.console.note(text)


def run(request: TrainRequest, console=None) -> dict[str, Any]:
    """Train as ``request`` asks (``clue train``); returns the last iteration's metrics."""
    config = resolve_config(request)
    recipe = GRPORecipe(config, request.out_dir, request.resume, console=console or _default_console(config))
    try:
        recipe.setup()
        return recipe.run()
    finally:
        recipe.cleanup()


def _default_console(config: GRPOConfig):
    from trainers.display import TrainDisplay

    return TrainDisplay(config.iterations)


def metric_names() -> Sequence[str]:
    """The fields every metrics.jsonl line has (more may follow)."""
    return (
        "iteration",
        "mean_reward",
        "tokens_trained",
        "loss",
        "seconds",
        "rollout_s",
        "scoring_s",
        "packing_s",
        "training_s",
        "weight_sync_s",
    )
