"""Curricula: which difficulties an iteration's training puzzles come from.

A variant's difficulties form one ordered scale (``Variant.ladder``: rung 0 the easiest; the
named levels are points on it, ``Variant.rung``). A curriculum places each iteration at a
*position* on that scale, a number such as 2.5; the iteration's puzzles are drawn from the two
rungs around it in proportion (2.5: half from rung 2, half from rung 3), so the difficulty
moves in steps smaller than a rung.

- ``fixed``: every puzzle at ``GRPOConfig.difficulty``, as a run without a curriculum.
- ``schedule``: ``curriculum_schedule`` = {from iteration: difficulty}, steps in increasing order.
- ``adaptive``: after each iteration the controller reads the iteration's pass rate (the mean share
  of questions answered right) and moves the position up by ``curriculum_step`` when the mean pass
  rate of the last ``curriculum_min_iterations`` iterations at this position is above
  ``curriculum_target + curriculum_band``, down when it is below ``curriculum_target -
  curriculum_band``, never outside [``curriculum_min``, ``curriculum_max``], and never before
  ``curriculum_min_iterations`` iterations at a position: the edge of the model's ability, where
  a GRPO group's samples disagree most (Online Difficulty Filtering, arXiv 2504.03380; reasoning-
  gym's coaching thresholds). Validation stays on the fixed target level.

The controller is the pure function :func:`adapt` (state and pass rate in, next state out);
:class:`Curriculum` holds its state for the recipe, and the state goes into every checkpoint so
that ``--resume`` continues it exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

CURRICULA = ("fixed", "schedule", "adaptive")


class CurriculumError(ValueError):
    """A curriculum setting does not fit the variant's scale; the message names it and the scale."""


@dataclass(frozen=True)
class AdaptiveSettings:
    """The adaptive controller's settings (positions and bounds on the variant's scale)."""

    target: float = 0.5
    band: float = 0.1
    step: float = 0.5
    min_iterations: int = 2
    low: float = 0.0
    high: float = 0.0

    def __post_init__(self) -> None:
        if not 0 < self.target < 1:
            raise CurriculumError(f"curriculum_target must be inside (0, 1), got {self.target!r}")
        if not 0 <= self.band < 0.5:
            raise CurriculumError(f"curriculum_band must be in [0, 0.5), got {self.band!r}")
        if not self.step > 0:
            raise CurriculumError(f"curriculum_step must be > 0, got {self.step!r}")
        if self.min_iterations < 1:
            raise CurriculumError(f"curriculum_min_iterations must be >= 1, got {self.min_iterations!r}")
        if not 0 <= self.low <= self.high:
            raise CurriculumError(f"the curriculum's range {self.low}..{self.high} is empty or below 0")


@dataclass(frozen=True)
class ControllerState:
    """Where the adaptive controller stands: its position, and what it saw there.

    ``rates``: the pass rates of the iterations at this position (the last ``min_iterations``).
    ``at_end``: "top" or "bottom" once the controller wanted to move past an end of its range
    (the recipe says so once in the log); cleared when it moves again.
    """

    position: float
    rates: tuple[float, ...] = ()
    at_end: str | None = None
    moves: int = 0


def adapt(state: ControllerState, pass_rate: float, settings: AdaptiveSettings) -> ControllerState:
    """The controller: the state after an iteration whose pass rate was ``pass_rate``.

    Up by ``settings.step`` when the mean pass rate of the last ``min_iterations`` iterations at
    this position is above ``target + band``, down when below ``target - band``, else stay; a
    move never leaves [``low``, ``high``], and after a move the window starts afresh.
    """
    if not (isinstance(pass_rate, int | float) and math.isfinite(pass_rate)):
        return state  # an iteration without a usable pass rate (every rollout failed) moves nothing
    rates = (state.rates + (float(pass_rate),))[-settings.min_iterations :]
    if len(rates) < settings.min_iterations:
        return replace(state, rates=rates)
    mean = math.fsum(rates) / len(rates)
    if mean > settings.target + settings.band:
        wanted, end = state.position + settings.step, "top"
    elif mean < settings.target - settings.band:
        wanted, end = state.position - settings.step, "bottom"
    else:
        return replace(state, rates=rates)
    new = min(max(wanted, settings.low), settings.high)
    if math.isclose(new, state.position):
        return replace(state, rates=rates, at_end=end)
    return ControllerState(position=round(new, 9), moves=state.moves + 1)


def mix(position: float) -> dict[int, float]:
    """The rungs an iteration at ``position`` draws from, with their shares (2.25 -> {2: 0.75, 3: 0.25})."""
    low = math.floor(position + 1e-9)
    frac = position - low
    if frac < 1e-9:
        return {low: 1.0}
    return {low: 1.0 - frac, low + 1: frac}


def rungs_for(position: float, n: int) -> list[int]:
    """``n`` puzzles' rungs for an iteration at ``position``: the shares of :func:`mix` by largest
    remainder, easier rung first (deterministic: the same position always gives the same list)."""
    shares = mix(position)
    counts = {r: int(math.floor(s * n + 1e-9)) for r, s in shares.items()}
    left = n - sum(counts.values())
    for r in sorted(shares, key=lambda r: (-(shares[r] * n - counts[r]), r))[:left]:
        counts[r] += 1
    return [r for r in sorted(counts) for _ in range(counts[r])]


@dataclass(frozen=True)
class Plan:
    """One iteration's puzzles: the difficulty of each (what ``Variant.difficulty`` takes) and the position."""

    difficulties: tuple[str | int | None, ...]
    position: float | None

    def spare(self, k: int) -> str | int | None:
        """The difficulty of the ``k``-th extra puzzle (dynamic sampling's refills cycle the plan)."""
        return self.difficulties[k % len(self.difficulties)]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.difficulties:
            key = "default" if d is None else str(d)
            out[key] = out.get(key, 0) + 1
        return out


@dataclass
class Curriculum:
    """The curriculum of one run: the plan of each iteration, and (adaptive) the controller's state.

    Build it with :func:`build_curriculum`; the recipe calls :meth:`plan` before an iteration's
    rollouts and :meth:`observe` after its scoring.
    """

    kind: str
    tasks: int
    difficulty: str | None = None
    scale: int = 0
    schedule: tuple[tuple[int, float], ...] = ()
    settings: AdaptiveSettings = field(default_factory=AdaptiveSettings)
    state: ControllerState | None = None

    def position(self, iteration: int) -> float | None:
        """The position of ``iteration`` (0-based) on the scale; None for ``fixed`` (the named level)."""
        if self.kind == "adaptive":
            assert self.state is not None
            return self.state.position
        if self.kind == "schedule":
            current = None
            for start, pos in self.schedule:
                if iteration + 1 >= start:
                    current = pos
            return current
        return None

    def plan(self, iteration: int) -> Plan:
        pos = self.position(iteration)
        if pos is None:  # fixed, or a schedule before its first step: the configured level, as without one
            return Plan((self.difficulty,) * self.tasks, None)
        return Plan(tuple(rungs_for(pos, self.tasks)), pos)

    def observe(self, pass_rate: float) -> str | None:
        """Feed the controller an iteration's pass rate; returns a line to log when it first meets an
        end of its range (once until it moves again), else None."""
        if self.kind != "adaptive":
            return None
        assert self.state is not None
        before = self.state
        self.state = adapt(before, pass_rate, self.settings)
        if self.state.at_end and not before.at_end:
            edge = self.settings.high if self.state.at_end == "top" else self.settings.low
            limit = "the scale" if edge in (0, self.scale) else "curriculum_min/curriculum_max"
            wanted = "a harder" if self.state.at_end == "top" else "an easier"
            return (
                f"curriculum: pass rate {pass_rate:.2f} asks for {wanted} level than difficulty {edge:g}, "
                f"the end of {limit}; staying there"
            )
        return None

    def state_dict(self) -> dict[str, Any] | None:
        return asdict(self.state) if self.state is not None else None

    def load_state_dict(self, data: Mapping[str, Any] | None) -> None:
        if self.kind == "adaptive" and data:
            self.state = ControllerState(
                position=float(data["position"]),
                rates=tuple(float(r) for r in data.get("rates", ())),
                at_end=data.get("at_end"),
                moves=int(data.get("moves", 0)),
            )


def build_curriculum(config, variant) -> Curriculum:
    """The run's curriculum from its settings (``GRPOConfig``) and the variant's scale; a setting off
    the scale is a :class:`CurriculumError` naming it and the scale."""
    c = config
    if c.curriculum == "fixed":
        return Curriculum("fixed", c.tasks_per_iteration, c.difficulty)
    top = variant.max_difficulty

    def position(text: str | int | None, what: str) -> float:
        try:
            return float(variant.rung(text))
        except ValueError as err:
            raise CurriculumError(f"{what}: {err}") from None

    if c.curriculum == "schedule":
        steps = tuple((int(k), position(v, f"curriculum_schedule {k}={v}")) for k, v in c.curriculum_schedule.items())
        return Curriculum("schedule", c.tasks_per_iteration, c.difficulty, top, schedule=steps)
    low = position(c.curriculum_min, "curriculum_min") if c.curriculum_min is not None else 0.0
    high = position(c.curriculum_max, "curriculum_max") if c.curriculum_max is not None else float(top)
    if low > high:
        raise CurriculumError(f"curriculum_min ({low:g}) is above curriculum_max ({high:g})")
    start_text = c.curriculum_start if c.curriculum_start is not None else c.difficulty
    start = position(start_text, "curriculum_start" if c.curriculum_start is not None else "difficulty")
    settings = AdaptiveSettings(
        target=c.curriculum_target,
        band=c.curriculum_band,
        step=c.curriculum_step,
        min_iterations=c.curriculum_min_iterations,
        low=low,
        high=high,
    )
    start = min(max(start, low), high)
    return Curriculum(
        "adaptive", c.tasks_per_iteration, c.difficulty, top, settings=settings, state=ControllerState(start)
    )


def check_schedule(schedule: Mapping[str, str]) -> None:
    """A schedule's steps: iterations as whole numbers >= 0 in strictly increasing order."""
    last = -1
    for key in schedule:
        text = str(key).strip()
        if not text.isdecimal():
            raise CurriculumError(f"curriculum_schedule: {key!r} is not an iteration number")
        if int(text) <= last:
            raise CurriculumError(
                f"curriculum_schedule is out of order: iteration {int(text)} comes after {last}; "
                "give the steps in increasing order"
            )
        last = int(text)
