"""Hugging Face transformers' schedules (transformers.optimization), as get_scheduler and Trainer build them.

Row t is ``scheduler.get_last_lr()[0]`` after t calls of ``scheduler.step()``: the rate Trainer uses
for optimizer update t, since Trainer steps the scheduler once after every ``optimizer.step()``.
Every schedule here but reduce-lr-on-plateau is a torch ``LambdaLR``, so row t is ``lr · λ(t)``
with λ the function's ``_lr_lambda``, evaluated in float64 with the same operations in the same
order (lrplot's numbers equal transformers' to float64 round-off). reduce-lr-on-plateau is torch's
ReduceLROnPlateau, computed by lrplot.schedules.plateau, one row per epoch.

Names are the ``SchedulerType`` values with ``_`` written ``-``; parameters are the keyword
arguments of the function ``get_scheduler`` dispatches to, with its defaults. Every schedule also
takes Trainer's arithmetic (:data:`TRAINER`), so that a run described by its TrainingArguments
(epochs, batches, accumulation, ``warmup_steps`` as a count or a ratio, ``lr_scheduler_kwargs``)
gives the num_training_steps and num_warmup_steps Trainer would pass (:func:`trainer_steps`).
``greedy`` (GreedyLR) is not reproduced: see :data:`GREEDY_WHY`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lrplot.params import Choice, Integer, Invalid, Param, Real, Switch, literal, show
from lrplot.registry import Annotations, Context, Phase, Schedule, ScheduleFn, Stepping, register

from . import _kernels
from . import plateau as _plateau  # torch's ReduceLROnPlateau, which get_scheduler builds as it is

GREEDY_WHY = (
    "GreedyLR's next rate depends on its whole history: it raises the rate after patience good "
    "epochs, cuts it after patience bad ones, and resets everything (best, counters, rate) after "
    "reset_start cuts at min_lr, so its state is a per-epoch recurrence with no closed form, and "
    "its smoothing window keeps a running float sum; reproducing it exactly means replaying it "
    "epoch by epoch, which lrplot's engine does not do"
)

# --- parameters ---------------------------------------------------------------------------------

LR = Real("lr", "The optimizer's learning rate (TrainingArguments' learning_rate): the peak.", 5e-5,
          gt=0, argument=False)
NUM_WARMUP_STEPS = Integer(
    "num_warmup_steps",
    "Warm-up steps, the function's argument (default: Trainer's, from --warmup-steps).",
    ge=0,
)
NUM_TRAINING_STEPS = Integer(
    "num_training_steps",
    "Optimizer updates in the run (default: Trainer's, from epochs and batches or --max-steps).",
    ge=1,
)
NUM_CYCLES = Real("num_cycles", "Waves of the cosine over the decay (0.5: half a wave, down to the end).",
                  0.5, ge=0)


class SchedulerKwargs(dict):
    """The parsed ``lr_scheduler_kwargs``: a dict that shows itself as the JSON it came from."""

    def describe(self) -> str:
        import json  # only when kwargs are shown

        return json.dumps(self, sort_keys=True)

    def __hash__(self) -> int:  # specs are hashed (cached composites); the text stands for it
        return hash(self.describe())


class JsonObject(Param):
    """A JSON object: '{"num_cycles": 2}' on the command line, a mapping (or that text) in YAML.
    Which keys it may hold is the schedule's business (checked when it resolves)."""

    metavar = "JSON"

    def allowed(self) -> str:
        return 'a JSON object, e.g. \'{"num_cycles": 2}\''

    def _bad(self, raw: Any) -> Invalid:
        return Invalid(f"{{}} must be {literal(self.allowed())}, got {show(raw)}", self.name)

    def parse(self, raw: Any) -> SchedulerKwargs:
        if isinstance(raw, str):
            import json  # only when kwargs are given

            try:
                raw = json.loads(raw)
            except ValueError as exc:
                raise Invalid(f"{{}} is not valid JSON ({literal(str(exc))}), got {show(raw)}",
                              self.name) from None
        if not isinstance(raw, Mapping) or not all(isinstance(k, str) for k in raw):
            raise self._bad(raw)
        return SchedulerKwargs(raw)


# TrainingArguments and the dataloader: how Trainer gets from a run to num_training_steps and
# num_warmup_steps. Shared by every schedule but reduce-lr-on-plateau (which Trainer steps at each
# evaluation, with its metric, so its rows are epochs).
NUM_TRAIN_EPOCHS = Real("num_train_epochs", "Epochs of the run (TrainingArguments; may be fractional).",
                        3.0, gt=0, argument=False)
BATCHES_PER_EPOCH = Integer(
    "batches_per_epoch",
    "Batches per epoch on one process: len(train_dataloader) (or give --num-examples).",
    ge=1, argument=False,
)
NUM_EXAMPLES = Integer(
    "num_examples",
    "Examples in the training set: batches per epoch = ceil(ceil(examples / batch size) / world "
    "size) (floor both with --dataloader-drop-last), as Trainer's dataloader shards them.",
    ge=1, argument=False,
)
PER_DEVICE_TRAIN_BATCH_SIZE = Integer(
    "per_device_train_batch_size", "Batch size per process (TrainingArguments; with --num-examples).",
    8, ge=1, argument=False,
)
WORLD_SIZE = Integer("world_size", "Training processes (DDP ranks; with --num-examples).", 1, ge=1,
                     argument=False)
DATALOADER_DROP_LAST = Switch(
    "dataloader_drop_last", "Drop the last incomplete batch (TrainingArguments; with --num-examples).",
    False, argument=False,
)
GRADIENT_ACCUMULATION_STEPS = Integer(
    "gradient_accumulation_steps",
    "Batches per optimizer update: updates per epoch = max(ceil(batches / this), 1).",
    1, ge=1, argument=False,
)
MAX_STEPS = Integer("max_steps", "Updates in the run when > 0, overriding the epochs (TrainingArguments).",
                    -1, argument=False)
WARMUP_STEPS = Real(
    "warmup_steps",
    "TrainingArguments' warm-up: >= 1 a count (int() of it), < 1 a ratio of the run, rounded up.",
    0.0, ge=0, argument=False,
)
WARMUP_RATIO = Real(
    "warmup_ratio",
    "Removed in transformers 5 (refused): give the ratio as --warmup-steps, which takes values < 1.",
    argument=False,
)
LR_SCHEDULER_KWARGS = JsonObject(
    "lr_scheduler_kwargs",
    "TrainingArguments' lr_scheduler_kwargs, as JSON: the function's keyword arguments.",
    argument=False,
)
TRAINER: tuple[Param, ...] = (
    NUM_TRAIN_EPOCHS,
    BATCHES_PER_EPOCH,
    NUM_EXAMPLES,
    PER_DEVICE_TRAIN_BATCH_SIZE,
    WORLD_SIZE,
    DATALOADER_DROP_LAST,
    GRADIENT_ACCUMULATION_STEPS,
    MAX_STEPS,
    WARMUP_STEPS,
    WARMUP_RATIO,
    LR_SCHEDULER_KWARGS,
)
TRAINER_NAMES = frozenset(p.name for p in TRAINER)
# get_scheduler passes these itself: in scheduler_specific_kwargs they are a TypeError there.
PASSED_BY_GET_SCHEDULER = ("num_warmup_steps", "num_training_steps")
# Ignored by get_scheduler for these types (it calls the function without them).
IGNORES_KWARGS = ("constant", "constant-with-warmup")


# --- Trainer's arithmetic -----------------------------------------------------------------------


def per_process_batches(num_examples: int, batch_size: int, world_size: int, drop_last: bool) -> int:
    """len(train_dataloader) on one process: torch's DataLoader makes ceil(examples / batch size)
    batches (floor with drop_last), and accelerate's BatchSamplerShard (Trainer's default:
    even_batches, no split_batches) gives each of world_size processes ceil(batches / world_size)
    of them (floor with drop_last)."""
    if drop_last:
        return (num_examples // batch_size) // world_size
    return _ceil_div(_ceil_div(num_examples, batch_size), world_size)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def updates_per_epoch(batches: int, accumulation: int) -> int:
    """Trainer.set_initial_training_values (transformers 5.24):

        num_update_steps_per_epoch = max(
            len_dataloader // args.gradient_accumulation_steps
            + int(len_dataloader % args.gradient_accumulation_steps > 0),
            1,
        )
    """
    return max(batches // accumulation + int(batches % accumulation > 0), 1)


def warmup_of(warmup_steps: float, num_training_steps: int) -> int:
    """TrainingArguments.get_warmup_steps (transformers 5.24):

        warmup_steps = (
            int(self.warmup_steps) if self.warmup_steps >= 1
            else math.ceil(num_training_steps * self.warmup_steps)
        )
    """
    if warmup_steps >= 1:
        return int(warmup_steps)
    return math.ceil(num_training_steps * warmup_steps)


def batches_of(params: Mapping[str, Any]) -> int | None:
    """The batches per epoch on one process, given or derived from the examples."""
    if params.get("batches_per_epoch") is not None:
        return params["batches_per_epoch"]
    if params.get("num_examples") is not None:
        return per_process_batches(params["num_examples"], params["per_device_train_batch_size"],
                                   params["world_size"], params["dataloader_drop_last"])
    return None


def epoch_length(params: Mapping[str, Any]) -> int | None:
    """Optimizer updates per epoch (Trainer's num_update_steps_per_epoch), when the batches are known."""
    batches = batches_of(params)
    return None if batches is None else updates_per_epoch(batches, params["gradient_accumulation_steps"])


def derived(params: Mapping[str, Any]) -> dict[str, int]:
    """The figures Trainer derives: updates per epoch, num_training_steps and num_warmup_steps."""
    out: dict[str, int] = {}
    batches = batches_of(params)
    if batches is not None:
        out["batches_per_epoch"] = batches
        out["updates_per_epoch"] = updates_per_epoch(batches, params["gradient_accumulation_steps"])
    if params.get("num_training_steps") is not None:
        out["num_training_steps"] = params["num_training_steps"]
    if "num_warmup_steps" in params:
        out["num_warmup_steps"] = params["num_warmup_steps"]
    elif params.get("num_training_steps") is not None:  # constant: Trainer's, which get_scheduler drops
        out["num_warmup_steps"] = warmup_of(params["warmup_steps"], params["num_training_steps"])
    if params.get("timescale_used") is not None:
        out["timescale"] = params["timescale_used"]
    return out


def _differs(params: Mapping[str, Any], param: Param) -> bool:
    return params.get(param.name) != param.default


def trainer_steps(values: Mapping[str, Any], needs_total: bool) -> tuple[int | None, str]:
    """num_training_steps as given, or as Trainer derives it; with the way it was found (for
    messages). None when nothing gives it and the schedule does not need it."""
    given = values.get("num_training_steps")
    if values["batches_per_epoch"] is not None and values["num_examples"] is not None:
        raise Invalid("{} and {} cannot be used together: give one of them", "batches_per_epoch",
                      "num_examples")
    if values["num_examples"] is None:
        for param in (PER_DEVICE_TRAIN_BATCH_SIZE, WORLD_SIZE, DATALOADER_DROP_LAST):
            if _differs(values, param):
                raise Invalid("{} applies with {} (it derives the batches per epoch; "
                              "--batches-per-epoch is already per process)", param.name, "num_examples")
    if values["max_steps"] == 0:
        raise Invalid("{} 0 trains no step: give a count > 0, or -1 to count the epochs", "max_steps")
    batches = batches_of(values)
    if batches == 0:
        raise Invalid(
            f"{{}} {values['num_examples']} leaves no batch per process with {{}} "
            f"{values['per_device_train_batch_size']}, {{}} {values['world_size']} and {{}}: "
            "Trainer finds an empty dataloader",
            "num_examples", "per_device_train_batch_size", "world_size", "dataloader_drop_last",
        )
    if given is not None:
        for param in (MAX_STEPS, NUM_TRAIN_EPOCHS):
            if _differs(values, param):
                raise Invalid("{} and {} cannot be used together: {} is what Trainer derives from "
                              "--max-steps or the epochs; give one of them",
                              "num_training_steps", param.name, "num_training_steps")
        return given, "num_training_steps"
    if values["max_steps"] > 0:
        return values["max_steps"], "max_steps"
    if batches is not None:
        upe = updates_per_epoch(batches, values["gradient_accumulation_steps"])
        return math.ceil(values["num_train_epochs"] * upe), "the epochs"
    if _differs(values, NUM_TRAIN_EPOCHS):
        raise Invalid("{} needs {} or {} (Trainer counts updates from the dataloader's length)",
                      "num_train_epochs", "batches_per_epoch", "num_examples")
    if needs_total:
        raise Invalid("this schedule needs {}: give it, or the run as Trainer sees it "
                      "({} or {}, with {}), or {}",
                      "num_training_steps", "batches_per_epoch", "num_examples", "num_train_epochs",
                      "max_steps")
    return None, ""


def warmup_steps_of(values: Mapping[str, Any], total: int | None, takes_warmup: bool) -> int:
    """num_warmup_steps as given, or Trainer's ``args.get_warmup_steps(num_training_steps)``."""
    if values.get("warmup_ratio") is not None:
        ratio = values["warmup_ratio"]
        raise Invalid(f"{{}} was removed in transformers 5: give the ratio as {{}} {ratio:g} "
                      "(values < 1 are a ratio of the run)", "warmup_ratio", "warmup_steps")
    if not takes_warmup:
        return 0  # constant: get_scheduler drops the warm-up (warn() says so)
    given = values.get("num_warmup_steps")
    warmup = values["warmup_steps"]
    if given is not None:
        if warmup != 0:
            raise Invalid("{} and {} cannot be used together: {} is the function's, {} "
                          "TrainingArguments' (Trainer turns it into the other); give one of them",
                          "num_warmup_steps", "warmup_steps", "num_warmup_steps", "warmup_steps")
        return given
    if 0 < warmup < 1 and total is None:
        raise Invalid(f"{{}} {warmup:g} is a ratio of the run, which needs {{}} (or the run's epochs "
                      "and batches, or --max-steps)", "warmup_steps", "num_training_steps")
    return warmup_of(warmup, total) if total is not None else int(warmup)


# --- the functions' λ, vectorized ----------------------------------------------------------------
# Each ``*_lr`` is lr · λ(t) for float64 step indices t: the branches of transformers' lambda as
# masks, each branch computed with the lambda's own operations in its own order.


def _warmup(t: np.ndarray, w: int) -> np.ndarray:
    """float(current_step) / float(max(1, num_warmup_steps))."""
    return t / float(max(1, w))


def _branches(t: np.ndarray, cuts: list[float], pieces: list[Callable[[np.ndarray], Any]]) -> np.ndarray:
    """pieces[i] on the steps of branch i: t < cuts[0], then t < cuts[1] (not earlier), ..., last:
    the rest; as transformers' if-chains test them, in order."""
    out = np.empty(t.shape)
    taken = np.zeros(t.shape, dtype=bool)
    for i, piece in enumerate(pieces):
        mask = ~taken if i == len(cuts) else (t < cuts[i]) & ~taken
        if mask.any():
            value = piece(t[mask])
            out[mask] = value
        taken |= mask
    return out


def linear_lr(t: np.ndarray, *, lr: float, num_warmup_steps: int, num_training_steps: int) -> np.ndarray:
    """λ(t) = t / max(1, w) for t < w, then max(0, (n − t) / max(1, n − w)): from 0 up to lr at
    step w, down to 0 at step n = num_training_steps, and 0 after.

    >>> linear_lr(np.arange(5.0), lr=1.0, num_warmup_steps=2, num_training_steps=4)
    array([0. , 0.5, 1. , 0.5, 0. ])
    """
    w, n = num_warmup_steps, num_training_steps
    span = float(max(1, n - w))
    return lr * _branches(t, [w], [
        lambda s: _warmup(s, w),
        lambda s: np.maximum(0.0, (n - s) / span),
    ])


def _cosine_factor(s: np.ndarray, w: int, n: int, num_cycles: float) -> np.ndarray:
    progress = (s - w) / float(max(1, n - w))
    return 0.5 * (1.0 + np.cos(math.pi * float(num_cycles) * 2.0 * progress))


def cosine_lr(t: np.ndarray, *, lr: float, num_warmup_steps: int, num_training_steps: int,
              num_cycles: float) -> np.ndarray:
    """λ(t) = t / max(1, w) for t < w, then max(0, (1 + cos(2π·c·p)) / 2) with progress
    p = (t − w) / max(1, n − w): half a wave (c = 0.5) from lr at step w to 0 at step n; past n
    the cosine keeps going and climbs back.

    >>> cosine_lr(np.arange(5.0), lr=1.0, num_warmup_steps=2, num_training_steps=4, num_cycles=0.5)
    array([0. , 0.5, 1. , 0.5, 0. ])
    """
    w, n = num_warmup_steps, num_training_steps
    return lr * _branches(t, [w], [
        lambda s: _warmup(s, w),
        lambda s: np.maximum(0.0, _cosine_factor(s, w, n, num_cycles)),
    ])


def cosine_restarts_lr(t: np.ndarray, *, lr: float, num_warmup_steps: int, num_training_steps: int,
                       num_cycles: int) -> np.ndarray:
    """λ(t) = t / max(1, w) for t < w; then with p = (t − w) / max(1, n − w): 0 once p >= 1, else
    max(0, (1 + cos(π·((c·p) mod 1))) / 2): c cosines from lr to 0, each restarting at lr.

    >>> cosine_restarts_lr(np.arange(6.0), lr=1.0, num_warmup_steps=0, num_training_steps=4, num_cycles=2)
    array([1., 0.5, 1., 0.5, 0., 0.])
    """
    w, n = num_warmup_steps, num_training_steps
    span = float(max(1, n - w))

    def decay(s: np.ndarray) -> np.ndarray:
        progress = (s - w) / span
        within = np.remainder(float(num_cycles) * progress, 1.0)  # Python's %, as transformers' float % 1.0
        wave = np.maximum(0.0, 0.5 * (1.0 + np.cos(math.pi * within)))
        return np.where(progress >= 1.0, 0.0, wave)

    return lr * _branches(t, [w], [lambda s: _warmup(s, w), decay])


def polynomial_lr(t: np.ndarray, *, lr: float, num_warmup_steps: int, num_training_steps: int,
                  lr_end: float, power: float) -> np.ndarray:
    """λ(t) = t / max(1, w) for t < w; lr_end / lr for t > n; else
    ((lr − lr_end)·(1 − (t − w)/(n − w))^power + lr_end) / lr: from lr at step w to lr_end at step
    n, then lr_end. lr is the optimizer's own (``optimizer.defaults["lr"]``).

    >>> polynomial_lr(np.arange(5.0), lr=1.0, num_warmup_steps=0, num_training_steps=2, lr_end=0.5, power=1.0)
    array([1.  , 0.75, 0.5 , 0.5 , 0.5 ])
    """
    w, n = num_warmup_steps, num_training_steps
    decay_steps = n - w

    def decay(s: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):  # n == w: transformers divides by 0
            pct_remaining = 1 - (s - w) / decay_steps
        return ((lr - lr_end) * pct_remaining**power + lr_end) / lr

    return lr * _branches(t, [w, n + 1], [lambda s: _warmup(s, w), decay, lambda s: lr_end / lr])


def constant_lr(t: np.ndarray, *, lr: float) -> np.ndarray:
    """λ(t) = 1: lr at every step.

    >>> constant_lr(np.arange(3.0), lr=0.5)
    array([0.5, 0.5, 0.5])
    """
    return np.full(t.shape, lr * 1)


def constant_with_warmup_lr(t: np.ndarray, *, lr: float, num_warmup_steps: int) -> np.ndarray:
    """λ(t) = t / max(1, w) for t < w, then 1.

    >>> constant_with_warmup_lr(np.arange(4.0), lr=1.0, num_warmup_steps=2)
    array([0. , 0.5, 1. , 1. ])
    """
    w = num_warmup_steps
    return lr * _branches(t, [w], [lambda s: s / float(max(1.0, w)), lambda s: 1.0])


def timescale_of(num_warmup_steps: int, timescale: int | None) -> int:
    """get_inverse_sqrt_schedule: ``timescale = num_warmup_steps or 10_000`` when not given."""
    return (num_warmup_steps or 10_000) if timescale is None else timescale


def inverse_sqrt_lr(t: np.ndarray, *, lr: float, num_warmup_steps: int, timescale: int | None) -> np.ndarray:
    """λ(t) = t / max(1, w) for t < w, then 1 / sqrt((t + τ − w) / τ), τ the timescale (default:
    w, or 10000 without a warm-up): lr at step w, lr/2 at step w + 3τ.

    >>> inverse_sqrt_lr(np.array([0.0, 1.0, 2.0, 5.0]), lr=1.0, num_warmup_steps=2, timescale=None)
    array([0. , 0.5, 1. , 0.5])
    """
    w, tau = num_warmup_steps, timescale_of(num_warmup_steps, timescale)
    shift = tau - w
    return lr * _branches(t, [w], [lambda s: _warmup(s, w), lambda s: 1.0 / np.sqrt((s + shift) / tau)])


def min_lr_rate_of(lr: float, min_lr: float | None, min_lr_rate: float | None) -> float:
    """The floor as a fraction of lr: min_lr_rate, or min_lr / optimizer.defaults["lr"]."""
    return min_lr / lr if min_lr is not None else min_lr_rate  # type: ignore[return-value]


def cosine_with_min_lr_lr(t: np.ndarray, *, lr: float, num_warmup_steps: int, num_training_steps: int,
                          num_cycles: float, min_lr: float | None, min_lr_rate: float | None) -> np.ndarray:
    """As cosine, with the wave between lr and a floor: λ = max(0, f·(1 − r) + r) where f is
    cosine's (1 + cos(2π·c·p)) / 2 and r = min_lr_rate (or min_lr / lr).

    >>> cosine_with_min_lr_lr(np.arange(3.0), lr=1.0, num_warmup_steps=0, num_training_steps=2,
    ...                       num_cycles=0.5, min_lr=None, min_lr_rate=0.5)
    array([1.  , 0.75, 0.5 ])
    """
    w, n = num_warmup_steps, num_training_steps
    rate = min_lr_rate_of(lr, min_lr, min_lr_rate)
    return lr * _branches(t, [w], [
        lambda s: _warmup(s, w),
        lambda s: np.maximum(0, _cosine_factor(s, w, n, num_cycles) * (1 - rate) + rate),
    ])


def cosine_warmup_with_min_lr_lr(t: np.ndarray, *, lr: float, num_warmup_steps: int, num_training_steps: int,
                                 num_cycles: float, min_lr: float | None, min_lr_rate: float | None,
                                 warmup_lr_rate: float | None) -> np.ndarray:
    """Warm-up (t + 1) / max(1, w) (or r₀ + (1 − r₀)·t / max(1, w − 1) with warmup_lr_rate r₀):
    lr at step w − 1, one step before cosine's; then λ = max(0, f·(1 − r) + r) with f =
    (1 + cos(2π·c·p)) / 2 and p = (t − w + 1) / max(1, n − w): the floor at step n − 1.

    >>> cosine_warmup_with_min_lr_lr(np.arange(5.0), lr=1.0, num_warmup_steps=2, num_training_steps=4,
    ...     num_cycles=0.5, min_lr=None, min_lr_rate=0.0, warmup_lr_rate=None)
    array([0.5, 1. , 0.5, 0. , 0.5])
    """
    w, n = float(num_warmup_steps), float(num_training_steps)
    rate = min_lr_rate_of(lr, min_lr, min_lr_rate)

    def warm(s: np.ndarray) -> np.ndarray:
        if warmup_lr_rate is None:
            return (s + 1.0) / max(1.0, w)
        r0 = float(warmup_lr_rate)
        return r0 + (1.0 - r0) * s / max(1, w - 1)

    def decay(s: np.ndarray) -> np.ndarray:
        progress = (s - w + 1.0) / max(1.0, n - w)
        factor = 0.5 * (1.0 + np.cos(math.pi * num_cycles * 2.0 * progress))
        return np.maximum(0, factor * (1 - rate) + rate)

    return lr * _branches(t, [w], [warm, decay])


WSD_SHAPES = ("linear", "cosine", "1-sqrt")


def stable_of(num_warmup_steps: int, num_training_steps: int | None, num_stable_steps: int | None,
              num_decay_steps: int) -> int:
    """get_wsd_schedule: num_stable_steps, or what is left of the run: n − w − d (may be < 0)."""
    if num_stable_steps is not None:
        return num_stable_steps
    return num_training_steps - num_warmup_steps - num_decay_steps  # type: ignore[operator]


def wsd_lr(t: np.ndarray, *, lr: float, num_warmup_steps: int, num_training_steps: int | None,
           num_stable_steps: int | None, num_decay_steps: int, warmup_type: str, decay_type: str,
           min_lr_ratio: float, num_cycles: float) -> np.ndarray:
    """Warm-up, stable, decay, each a fraction of lr: with m = min_lr_ratio, the warm-up rises from
    m·lr over w steps (linear p, cosine (1 − cos πp)/2 or 1-sqrt 1 − sqrt(1 − p), scaled into
    [m, 1]); lr for s stable steps; the decay falls over d steps (linear 1 − p, cosine
    (1 + cos 2πcp)/2 or 1-sqrt 1 − sqrt(p), into [m, 1]); then m·lr.

    >>> wsd_lr(np.arange(6.0), lr=1.0, num_warmup_steps=1, num_training_steps=None, num_stable_steps=2,
    ...        num_decay_steps=2, warmup_type="linear", decay_type="linear", min_lr_ratio=0.0, num_cycles=0.5)
    array([0. , 1. , 1. , 1. , 0.5, 0. ])
    """
    w, d, m = num_warmup_steps, num_decay_steps, min_lr_ratio
    s = stable_of(w, num_training_steps, num_stable_steps, d)

    def warm(x: np.ndarray) -> np.ndarray:
        progress = x / float(max(1, w))
        if warmup_type == "linear":
            factor = progress
        elif warmup_type == "cosine":
            factor = 0.5 * (1.0 - np.cos(math.pi * progress))
        else:
            factor = 1.0 - np.sqrt(1.0 - progress)
        return np.maximum(0.0, factor * (1.0 - m) + m)

    def decay(x: np.ndarray) -> np.ndarray:
        progress = (x - w - s) / float(max(1, d))
        if decay_type == "linear":
            factor = 1.0 - progress
        elif decay_type == "cosine":
            factor = 0.5 * (1.0 + np.cos(math.pi * float(num_cycles) * 2.0 * progress))
        else:
            factor = 1.0 - np.sqrt(progress)
        return np.maximum(0.0, factor * (1.0 - m) + m)

    return lr * _branches(t, [w, w + s, w + s + d], [warm, lambda x: 1.0, decay, lambda x: m])


# --- long ranges ----------------------------------------------------------------------------------
# lr_range(first, n, **params): the rows of steps first..first+n-1, phase by phase (the phases'
# bounds are whole steps, so each row's branch is the lambda's); a long phase by a kernel, a short
# one (or a row the formula gets exactly, such as a phase's first) by the formula itself.

Fill = Callable[[np.ndarray, int], None]


def _by_phases(first: int, n: int, cuts: list[int], fills: list[Fill | None],
               plain: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Rows of first..first+n−1 for phases t < cuts[0], cuts[0] <= t < cuts[1], ..., t >= cuts[-1]
    (cuts made non-decreasing, as the lambda's if-chain makes them); fills[i](rows, step) writes
    phase i's rows from step ``step`` on, None (or a short phase) takes ``plain``."""
    out = np.empty(n)
    bounds, edge = [0], -math.inf
    for cut in cuts:
        edge = max(edge, cut)
        bounds.append(int(min(max(edge - first, bounds[-1]), n)))
    bounds.append(n)
    for fill, low, high in zip(fills, bounds[:-1], bounds[1:]):
        if high <= low:
            continue
        if fill is None or high - low < _kernels.FAST_FROM:
            out[low:high] = plain(np.arange(first + low, first + high, dtype=np.float64))
        else:
            fill(out[low:high], first + low)
    return out


def _flat(value: float) -> Fill:
    def fill(rows: np.ndarray, step: int) -> None:
        rows[:] = value
    return fill


def _level(plain: Callable[[np.ndarray], np.ndarray]) -> Fill:
    """A phase where the formula is constant: its value at the phase's first step, everywhere."""
    def fill(rows: np.ndarray, step: int) -> None:
        rows[:] = plain(np.array([float(step)]))[0]
    return fill


def _line(slope: float, plain: Callable[[np.ndarray], np.ndarray]) -> Fill:
    def fill(rows: np.ndarray, step: int) -> None:
        _kernels.affine(rows, step, slope=slope, plain=plain)
    return fill


def _wave(start: float, length: float, amp: float, mid: float, plain: Callable[[np.ndarray], np.ndarray],
          floor: float | None = None) -> Fill:
    """mid + amp·cos(π·(t − start)/length) by angle addition; where start and length are whole
    steps the angle is reduced exactly, and the rows at cos = ±1 (where the formula is exact) are
    the formula's; a wave that touches 0 (``floor`` 0) is held at or above it, as max(0, ...) does."""
    whole = float(length).is_integer() and float(start).is_integer() and length <= 2**52

    def fill(rows: np.ndarray, step: int) -> None:
        n = len(rows)
        if whole and 2 * length <= _kernels.BLOCK and 4 * length <= n:
            # One period by the formula, repeated.
            rows[:] = _kernels.tile(n, plain(step + np.arange(int(2 * length), dtype=np.float64)))
            return
        _kernels.cosine(rows, step, start=start, length=length, amp=amp, mid=mid, periodic=whole)
        if whole:
            at = _kernels.steps_at(step, n, int(length), int(start) % int(length))
            rows[at] = plain(np.arange(step + at.start, step + n, int(length), dtype=np.float64))
        else:
            rows[0] = plain(np.array([float(step)]))[0]
        if floor is not None:
            np.maximum(rows, floor, out=rows)

    return fill


def _cosine_fill(lr: float, start: float, span: float, num_cycles: float, rate: float,
                 plain: Callable[[np.ndarray], np.ndarray]) -> Fill:
    """lr·(f·(1 − r) + r) with f = (1 + cos(2π·c·(t − start)/span)) / 2."""
    if num_cycles == 0:
        return _level(plain)
    half = lr * (1 - rate) / 2
    return _wave(start, span / (2 * num_cycles), half, lr * rate + half, plain,
                 floor=0.0 if rate <= 0 else None)


def linear_range(first: int, n: int, *, lr: float, num_warmup_steps: int,
                 num_training_steps: int) -> np.ndarray:
    w, total = num_warmup_steps, num_training_steps

    def plain(s):
        return linear_lr(s, lr=lr, num_warmup_steps=w, num_training_steps=total)

    return _by_phases(first, n, [w, total], [
        _line(lr / max(1, w), plain), _line(-lr / max(1, total - w), plain), _flat(0.0)], plain)


def cosine_range(first: int, n: int, *, lr: float, num_warmup_steps: int, num_training_steps: int,
                 num_cycles: float) -> np.ndarray:
    w, total = num_warmup_steps, num_training_steps

    def plain(s):
        return cosine_lr(s, lr=lr, num_warmup_steps=w, num_training_steps=total, num_cycles=num_cycles)

    return _by_phases(first, n, [w], [
        _line(lr / max(1, w), plain), _cosine_fill(lr, w, max(1, total - w), num_cycles, 0.0, plain)], plain)


def cosine_with_min_lr_range(first: int, n: int, *, lr: float, num_warmup_steps: int, num_training_steps: int,
                             num_cycles: float, min_lr: float | None,
                             min_lr_rate: float | None) -> np.ndarray:
    w, total = num_warmup_steps, num_training_steps
    rate = min_lr_rate_of(lr, min_lr, min_lr_rate)

    def plain(s):
        return cosine_with_min_lr_lr(s, lr=lr, num_warmup_steps=w, num_training_steps=total,
                                     num_cycles=num_cycles, min_lr=min_lr, min_lr_rate=min_lr_rate)

    return _by_phases(first, n, [w], [
        _line(lr / max(1, w), plain), _cosine_fill(lr, w, max(1, total - w), num_cycles, rate, plain)], plain)


def cosine_warmup_with_min_lr_range(first: int, n: int, *, lr: float, num_warmup_steps: int,
                                    num_training_steps: int, num_cycles: float, min_lr: float | None,
                                    min_lr_rate: float | None, warmup_lr_rate: float | None) -> np.ndarray:
    w, total = num_warmup_steps, num_training_steps
    rate = min_lr_rate_of(lr, min_lr, min_lr_rate)

    def plain(s):
        return cosine_warmup_with_min_lr_lr(s, lr=lr, num_warmup_steps=w, num_training_steps=total,
                                            num_cycles=num_cycles, min_lr=min_lr, min_lr_rate=min_lr_rate,
                                            warmup_lr_rate=warmup_lr_rate)

    slope = lr / max(1, w) if warmup_lr_rate is None else lr * (1 - warmup_lr_rate) / max(1, w - 1)
    # Its progress is (t − w + 1) / max(1, n − w): the wave starts one step early, at w − 1.
    return _by_phases(first, n, [w], [
        _line(slope, plain), _cosine_fill(lr, w - 1, max(1, total - w), num_cycles, rate, plain)], plain)


def cosine_restarts_range(first: int, n: int, *, lr: float, num_warmup_steps: int, num_training_steps: int,
                          num_cycles: int) -> np.ndarray:
    w, total, c = num_warmup_steps, num_training_steps, num_cycles
    span = max(1, total - w)

    def plain(s):
        return cosine_restarts_lr(s, lr=lr, num_warmup_steps=w, num_training_steps=total, num_cycles=c)

    def cycles(rows: np.ndarray, step: int) -> None:
        count, length = len(rows), span / c
        # (No tiling of one cycle, even of a whole number of steps: c·progress may round below a
        # whole number at a restart, e.g. 49·(1/49) < 1, and transformers then restarts a step late.)
        if c > count // 1024:  # many short cycles: the formula is cheaper than a loop over them
            rows[:] = plain(np.arange(step, step + count, dtype=np.float64))
            return
        edges = [step, *(_restart_step(k, w, span, c) for k in range(1, c)), step + count]
        edges = [min(max(e, step), step + count) for e in edges]
        for low, high in zip(edges[:-1], edges[1:]):
            if high <= low:
                continue
            part = rows[low - step:high - step]
            if high - low < _kernels.FAST_FROM:
                part[:] = plain(np.arange(low, high, dtype=np.float64))
                continue
            begin = w + _cycle_of(low, w, span, c) * length
            _kernels.cosine(part, low, start=begin, length=length, amp=lr / 2, mid=lr / 2, periodic=False)
            part[0] = plain(np.array([float(low)]))[0]

    if c == 0:  # (0·p) % 1 = 0: lr until the run's end
        return _by_phases(first, n, [w, w + span], [_line(lr / max(1, w), plain), _level(plain), _flat(0.0)],
                          plain)
    return _by_phases(first, n, [w, w + span], [_line(lr / max(1, w), plain), cycles, _flat(0.0)], plain)


def _cycle_of(step: int, w: int, span: int, c: int) -> int:
    """The restart cycle of a decay step, as transformers' ``(c·progress) % 1`` places it."""
    return math.floor(float(c) * ((step - w) / span))


def _restart_step(k: int, w: int, span: int, c: int) -> int:
    """The first step of restart cycle k (its rate back at lr)."""
    step = w + math.ceil(k * span / c)
    while step > w and _cycle_of(step - 1, w, span, c) >= k:
        step -= 1
    while _cycle_of(step, w, span, c) < k:
        step += 1
    return step


def polynomial_range(first: int, n: int, *, lr: float, num_warmup_steps: int, num_training_steps: int,
                     lr_end: float, power: float) -> np.ndarray:
    w, total = num_warmup_steps, num_training_steps

    def plain(s):
        return polynomial_lr(s, lr=lr, num_warmup_steps=w, num_training_steps=total, lr_end=lr_end,
                             power=power)

    def decay(rows: np.ndarray, step: int) -> None:
        span = total - w
        _kernels.power(rows, step, total=total, p=power,
                       plain=lambda s: (lr - lr_end) * (1 - (s - w) / span) ** power)
        rows += lr_end
        rows[0] = plain(np.array([float(step)]))[0]

    # Row n (the decay's end, lr_end) takes the formula: the kernel covers steps below n.
    return _by_phases(first, n, [w, total, total + 1], [
        _line(lr / max(1, w), plain), decay, None, _flat(float(plain(np.array([total + 1.0]))[0]))], plain)


def constant_range(first: int, n: int, *, lr: float) -> np.ndarray:
    return np.full(n, lr * 1)


def constant_with_warmup_range(first: int, n: int, *, lr: float, num_warmup_steps: int) -> np.ndarray:
    w = num_warmup_steps

    def plain(s):
        return constant_with_warmup_lr(s, lr=lr, num_warmup_steps=w)

    return _by_phases(first, n, [w], [_line(lr / max(1.0, w), plain), _flat(lr * 1.0)], plain)


def inverse_sqrt_range(first: int, n: int, *, lr: float, num_warmup_steps: int,
                       timescale: int | None) -> np.ndarray:
    w, tau = num_warmup_steps, timescale_of(num_warmup_steps, timescale)
    shift = tau - w

    def plain(s):
        return inverse_sqrt_lr(s, lr=lr, num_warmup_steps=w, timescale=timescale)

    def decay(rows: np.ndarray, step: int) -> None:
        _kernels.affine(rows, step, slope=1.0 / tau, plain=lambda s: (s + shift) / tau)
        np.sqrt(rows, out=rows)
        np.divide(lr, rows, out=rows)

    return _by_phases(first, n, [w], [_line(lr / max(1, w), plain), decay], plain)


def wsd_range(first: int, n: int, *, lr: float, num_warmup_steps: int, num_training_steps: int | None,
              num_stable_steps: int | None, num_decay_steps: int, warmup_type: str, decay_type: str,
              min_lr_ratio: float, num_cycles: float) -> np.ndarray:
    w, d, m = num_warmup_steps, num_decay_steps, min_lr_ratio
    s = stable_of(w, num_training_steps, num_stable_steps, d)
    decay_start = w + s

    def plain(x):
        return wsd_lr(x, lr=lr, num_warmup_steps=w, num_training_steps=num_training_steps,
                      num_stable_steps=num_stable_steps, num_decay_steps=d, warmup_type=warmup_type,
                      decay_type=decay_type, min_lr_ratio=m, num_cycles=num_cycles)

    def root(progress: Callable[[np.ndarray], np.ndarray], slope: float) -> Fill:
        """lr·(m + (1 − m)·(1 − sqrt(q))), q a straight line of the step."""
        def fill(rows: np.ndarray, step: int) -> None:
            _kernels.affine(rows, step, slope=slope, plain=progress)
            np.maximum(rows, 0.0, out=rows)
            np.sqrt(rows, out=rows)
            np.multiply(rows, -lr * (1.0 - m), out=rows)
            rows += lr
            rows[0] = plain(np.array([float(step)]))[0]
        return fill

    span_w, span_d = float(max(1, w)), float(max(1, d))
    half = lr * (1.0 - m) / 2
    warm = {
        "linear": _line(lr * (1.0 - m) / span_w, plain),
        "cosine": _wave(0, span_w, -half, lr * m + half, plain),
        "1-sqrt": root(lambda x: 1.0 - x / span_w, -1.0 / span_w),
    }[warmup_type]
    fall = {
        "linear": _line(-lr * (1.0 - m) / span_d, plain),
        "cosine": (_wave(decay_start, span_d / (2 * num_cycles), half, lr * m + half, plain,
                         floor=0.0 if m <= 0 else None) if num_cycles else _level(plain)),
        "1-sqrt": root(lambda x: (x - w - s) / span_d, 1.0 / span_d),
    }[decay_type]
    return _by_phases(first, n, [w, decay_start, decay_start + d],
                      [warm, _flat(lr * 1.0), fall, _flat(lr * m)], plain)


# --- resolution, limits, warnings, annotations ----------------------------------------------------


def _known_total(params: Mapping[str, Any]) -> int | None:
    return params.get("num_training_steps")


def resolver(name: str, origin_name: str, params: tuple[Param, ...], *, needs_total: bool,
             takes_warmup: bool, check: Callable[[dict[str, Any]], dict[str, Any]] | None = None):
    """The resolve of one schedule: lr_scheduler_kwargs into its parameters, then Trainer's
    num_training_steps and num_warmup_steps, then the function's own refusals (``check``)."""
    known = {p.name: p for p in params if p.argument and p.name not in PASSED_BY_GET_SCHEDULER}

    def resolve(values: dict[str, Any], context: Context) -> dict[str, Any]:
        values = _apply_kwargs(values, name, origin_name, known)
        total, _ = trainer_steps(values, needs_total)
        warm = warmup_steps_of(values, total, takes_warmup)
        values = {**values, "num_training_steps": total}
        if takes_warmup:
            values["num_warmup_steps"] = warm
        del warm
        return check(values) if check is not None else values

    return resolve


def _apply_kwargs(values: dict[str, Any], name: str, origin_name: str,
                  known: Mapping[str, Param]) -> dict[str, Any]:
    """lr_scheduler_kwargs into the function's parameters, refusing what get_scheduler refuses."""
    kwargs = values.get("lr_scheduler_kwargs") or {}
    if name in IGNORES_KWARGS:
        return values  # get_scheduler drops them; warn() says so
    out = dict(values)
    for key, raw in kwargs.items():
        if key in PASSED_BY_GET_SCHEDULER:
            raise Invalid(f"{{}} must not hold {literal(key)}: get_scheduler passes it itself "
                          "(transformers raises TypeError: got multiple values); give {} instead",
                          "lr_scheduler_kwargs", key)
        if key == "last_epoch":
            if raw == -1:
                continue
            raise Invalid("{} last_epoch resumes a run part-way; lrplot draws a run from its start "
                          "(only -1 is allowed)", "lr_scheduler_kwargs")
        if key not in known:
            names = ", ".join(sorted(known)) or "none"
            raise Invalid(f"{{}} key {show(key)} is not a keyword argument of {origin_name} "
                          f"(transformers raises TypeError); it takes: {names}", "lr_scheduler_kwargs")
        param = known[key]
        if raw is None and param.default is None:
            continue
        try:
            value = param.parse(raw)
        except Invalid as invalid:
            raise Invalid(f"{{}} {literal(key)}: {invalid.template}", "lr_scheduler_kwargs",
                          *invalid.names) from None
        if values.get(key) != param.default and values.get(key) != value:
            raise Invalid(f"{{}} and {{}} both set {literal(key)}: give it once", "lr_scheduler_kwargs", key)
        out[key] = value
    return out


def check_polynomial(values: dict[str, Any]) -> dict[str, Any]:
    """get_polynomial_decay_schedule_with_warmup: ``if not (lr_init > lr_end): raise ValueError``."""
    if not values["lr"] > values["lr_end"]:
        raise Invalid(f"{{}} {values['lr_end']:g} must be below {{}} {values['lr']:g}: polynomial "
                      "decays from the optimizer's lr down to lr_end (transformers raises ValueError)",
                      "lr_end", "lr")
    return values


def check_min_lr(values: dict[str, Any]) -> dict[str, Any]:
    """The min-lr cosines take exactly one of min_lr and min_lr_rate, as transformers insists."""
    if values["min_lr"] is not None and values["min_lr_rate"] is not None:
        raise Invalid("{} and {} cannot be used together: give one of them (transformers: 'Only one "
                      "of min_lr or min_lr_rate should be set')", "min_lr", "min_lr_rate")
    if values["min_lr"] is None and values["min_lr_rate"] is None:
        raise Invalid("this schedule needs {} or {} (transformers raises 'One of min_lr or min_lr_rate "
                      "should be set through the `lr_scheduler_kwargs`')", "min_lr", "min_lr_rate")
    return values


def check_wsd(values: dict[str, Any]) -> dict[str, Any]:
    if values["num_decay_steps"] is None:
        raise Invalid("warmup-stable-decay needs {} (get_wsd_schedule has no default for it)",
                      "num_decay_steps")
    if values["num_training_steps"] is None and values["num_stable_steps"] is None:
        raise Invalid("warmup-stable-decay needs {} or {} (transformers: 'Either num_training_steps "
                      "or num_stable_steps must be specified.')", "num_training_steps", "num_stable_steps")
    return values


def check_inverse_sqrt(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "timescale_used": timescale_of(values["num_warmup_steps"], values["timescale"])}


def polynomial_limit(params: Mapping[str, Any]) -> tuple[int, Invalid] | None:
    """With num_warmup_steps == num_training_steps, the rate of step n divides by n − w = 0."""
    w, n = params["num_warmup_steps"], params["num_training_steps"]
    if w != n:
        return None
    return n, Invalid(f"with {{}} equal to {{}} ({n}) transformers divides by zero computing the rate "
                      f"of step {n} (ZeroDivisionError), so rows stop at step {n - 1}",
                      "num_warmup_steps", "num_training_steps")


def wsd_horizon(params: Mapping[str, Any]) -> int:
    total = params["num_training_steps"]
    if total is not None:
        return total
    return max(1, params["num_warmup_steps"] + params["num_stable_steps"] + params["num_decay_steps"])


# Rows of the schedules that need no num_training_steps, when no run length is given.
OPEN_ROWS = 100


def open_horizon(params: Mapping[str, Any]) -> int:
    total = params["num_training_steps"]
    return total if total is not None else max(OPEN_ROWS, 2 * params.get("num_warmup_steps", 0))


def inverse_sqrt_horizon(params: Mapping[str, Any]) -> int:
    total = params["num_training_steps"]
    return total if total is not None else params["num_warmup_steps"] + 10 * params["timescale_used"]


def trainer_warnings(params: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """Trainer's own quiet surprises in turning TrainingArguments into the function's arguments."""
    found: list[str] = []
    warmup, total = params["warmup_steps"], params.get("num_training_steps")
    if warmup >= 1 and not float(warmup).is_integer():
        found.append(f"warmup_steps {warmup:g} is >= 1, so it is a count, and TrainingArguments."
                     f"get_warmup_steps takes int() of it: {int(warmup)} warm-up steps")
    if 0 < warmup < 1 and total is not None:
        product = total * warmup
        if product != math.floor(product) and product - math.floor(product) < 1e-9 * max(1.0, product):
            found.append(f"warmup_steps {warmup:g} of {total} steps is {product!r} in floating point, so "
                         f"Trainer rounds it up to {math.ceil(product)} warm-up steps, not "
                         f"{math.floor(product)}")
    if params["max_steps"] > 0 and params["num_train_epochs"] != NUM_TRAIN_EPOCHS.default:
        found.append(f"max_steps {params['max_steps']} overrides num_train_epochs "
                     f"{params['num_train_epochs']:g}: Trainer runs max_steps updates")
    if name in IGNORES_KWARGS and params.get("lr_scheduler_kwargs"):
        found.append(f"get_scheduler ignores lr_scheduler_kwargs for {name.replace('-', '_')}: "
                     f"{params['lr_scheduler_kwargs'].describe()} changes nothing")
    return tuple(found)


def _peak_warning(params: Mapping[str, Any], n: int, peak: int, lr_fn: ScheduleFn) -> tuple[str, ...]:
    """The warm-up's peak (step ``peak``) is not among the n rows: the rate never reaches lr."""
    w, total = params["num_warmup_steps"], params.get("num_training_steps")
    if w <= 0 or peak < n:
        return ()
    run = (f"num_warmup_steps {w} >= num_training_steps {total}: the warm-up outlasts the run"
           if total is not None and w >= total else f"the warm-up of {w} steps outlasts the {n} rows")
    last = float(rates_at(lr_fn, np.array([n - 1.0]), params)[0]) / params["lr"]
    return (f"{run}, so the rate never reaches lr (the last row is lr x {last:.4g}); lower the warm-up "
            "or lengthen the run",)


def _past_run_climbs(params: Mapping[str, Any], n: int, last_low: int) -> tuple[str, ...]:
    """Rows past the run's end, where transformers' cosine keeps going and climbs back up."""
    total = params["num_training_steps"]
    if params["num_cycles"] == 0 or n <= last_low + 1:
        return ()
    return (f"{n} rows run past num_training_steps {total}: transformers' cosine does not stop at the "
            f"end of the run, so after step {last_low} the rate climbs back toward lr; plot "
            f"{last_low + 1} rows to end at the floor",)


def _floor_warning(params: Mapping[str, Any]) -> tuple[str, ...]:
    rate = min_lr_rate_of(params["lr"], params["min_lr"], params["min_lr_rate"])
    if rate < 1:
        return ()
    given = (f"min_lr {params['min_lr']:g}" if params["min_lr"] is not None
             else f"min_lr_rate {params['min_lr_rate']:g}")
    shape = "stays flat at lr" if rate == 1 else "rises above lr instead of decaying"
    return (f"{given} puts the floor at or above lr {params['lr']:g}: the cosine {shape}",)


def rates_at(lr_fn: ScheduleFn, t: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """``lr_fn`` at steps t, given the keyword arguments it takes out of ``params``."""
    code = lr_fn.__code__
    names = code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount]
    return lr_fn(t, **{k: params[k] for k in names})


def _common(params: Mapping[str, Any], n: int, name: str, lr_fn: ScheduleFn) -> tuple[str, ...]:
    return trainer_warnings(params, name) + _peak_warning(params, n, params["num_warmup_steps"], lr_fn)


def warn_linear(params, n):
    return _common(params, n, "linear", linear_lr)


def warn_cosine(params, n):
    return (_common(params, n, "cosine", cosine_lr)
            + _past_run_climbs(params, n, params["num_training_steps"]))


def warn_restarts(params, n):
    found = _common(params, n, "cosine-with-restarts", cosine_restarts_lr)
    w, total, c = params["num_warmup_steps"], params["num_training_steps"], params["num_cycles"]
    span = max(1, total - w)
    late = [k for k in range(1, min(c, 10_000)) if (k * span) % c == 0
            and _restart_step(k, w, span, c) != w + k * span // c and w + k * span // c < n]
    if late:
        k = late[0]
        found += (f"restart {k} of {c} comes one step late, at step {_restart_step(k, w, span, c)} instead "
                  f"of {w + k * span // c}: transformers' {c} x progress rounds just below {k} there "
                  f"({len(late)} restart{'s' if len(late) > 1 else ''} in all)",)
    return found


def warn_polynomial(params, n):
    found = _common(params, n, "polynomial", polynomial_lr)
    w, total = params["num_warmup_steps"], params["num_training_steps"]
    if w == total:
        found += (f"num_warmup_steps equals num_training_steps ({total}): transformers divides by zero "
                  f"computing the rate of step {total}, so Trainer's scheduler.step() after the last "
                  "update raises ZeroDivisionError",)
    return found


def warn_constant(params, n):
    found = trainer_warnings(params, "constant")
    if params["warmup_steps"] != 0:
        found += (f"warmup_steps {params['warmup_steps']:g} is ignored: get_scheduler builds constant "
                  "without a warm-up (it drops num_warmup_steps); use constant-with-warmup",)
    return found


def warn_constant_with_warmup(params, n):
    return _common(params, n, "constant-with-warmup", constant_with_warmup_lr)


def warn_inverse_sqrt(params, n):
    found = _common(params, n, "inverse-sqrt", inverse_sqrt_lr)
    if params["timescale"] is None and params["num_warmup_steps"] == 0:
        found += ("without a warm-up the timescale is 10000, not num_warmup_steps (transformers: "
                  "'num_warmup_steps or 10_000'): the rate halves at step 30000",)
    return found


def warn_cosine_with_min_lr(params, n):
    return (_common(params, n, "cosine-with-min-lr", cosine_with_min_lr_lr) + _floor_warning(params)
            + _past_run_climbs(params, n, params["num_training_steps"]))


def warn_cosine_warmup_with_min_lr(params, n):
    found = trainer_warnings(params, "cosine-warmup-with-min-lr") + _floor_warning(params)
    w, total, r0 = params["num_warmup_steps"], params["num_training_steps"], params["warmup_lr_rate"]
    if w == 0:
        found += (f"without a warm-up the rate never reaches lr: this schedule's cosine is one step "
                  f"ahead (progress (t + 1) / {max(1, total)}), so row 0 is already past the peak",)
    elif w == 1 and r0 is not None:
        found += (f"with one warm-up step and warmup_lr_rate {r0:g} the rate never reaches lr: row 0 is "
                  "lr x warmup_lr_rate, and the cosine after it starts one step in",)
    elif w - 1 >= n:
        found += _peak_warning(params, n, w - 1, cosine_warmup_with_min_lr_lr)
    else:
        start = "lr / num_warmup_steps" if r0 is None else "lr x warmup_lr_rate"
        found += (f"the rate peaks at step {w - 1}, one step before num_warmup_steps {w} (cosine and "
                  f"cosine-with-min-lr peak at step {w}): its warm-up starts at {start}, not 0, and "
                  f"its cosine reaches the floor at step {total - 1}",)
    return found + _past_run_climbs(params, n, total - 1)


def warn_wsd(params, n):
    found = _common(params, n, "warmup-stable-decay", wsd_lr)
    w, d, total, given = (params["num_warmup_steps"], params["num_decay_steps"], params["num_training_steps"],
                          params["num_stable_steps"])
    s = stable_of(w, total, given, d)
    if total is not None and given is not None:
        found += ("Both num_training_steps and num_stable_steps are specified. num_stable_steps will be "
                  f"used. (transformers' own warning: the phases end at step {w + s + d})",)
        if w + s + d < total:
            found += (f"num_warmup_steps + num_stable_steps + num_decay_steps = {w + s + d} is less than "
                      f"num_training_steps {total}: the last {total - w - s - d} updates run at "
                      "min_lr_ratio x lr",)
    if s < 0:
        found += (f"num_warmup_steps {w} + num_decay_steps {d} exceed num_training_steps {total}: the stable "
                  f"phase is {s} steps, so the decay starts {-s} steps into its course right after the "
                  "warm-up, and the rate never holds at lr",)
    return found


def annotate_run(params: Mapping[str, Any], n: int) -> Annotations:
    """The warm-up, and the rows past the run's end (num_training_steps), as phases."""
    w, total = params.get("num_warmup_steps", 0), params.get("num_training_steps")
    phases = []
    if w > 0:
        phases.append(Phase("warm-up", 0, min(w, n - 1)))
    if total is not None and n > total + 1:
        phases.append(Phase("past num_training_steps", total, n - 1))
    return Annotations(phases=tuple(phases))


def annotate_wsd(params: Mapping[str, Any], n: int) -> Annotations:
    w, d = params["num_warmup_steps"], params["num_decay_steps"]
    s = stable_of(w, params["num_training_steps"], params["num_stable_steps"], d)
    bounds = [0, w, max(w, w + s), max(w, w + s + d)]
    phases = tuple(Phase(name, lo, min(hi, n - 1)) for name, lo, hi in
                   zip(("warm-up", "stable", "decay"), bounds[:-1], bounds[1:]) if hi > lo and lo < n - 1)
    return Annotations(phases=phases, guides={"min_lr_ratio x lr": params["lr"] * params["min_lr_ratio"]}
                       if params["min_lr_ratio"] > 0 else {})


def annotate_min_lr(params: Mapping[str, Any], n: int) -> Annotations:
    base = annotate_run(params, n)
    floor = params["lr"] * min_lr_rate_of(params["lr"], params["min_lr"], params["min_lr_rate"])
    return Annotations(phases=base.phases, guides={"min_lr": floor} if floor > 0 else {})


# --- emitted code ---------------------------------------------------------------------------------


def _comment(text: str) -> list[str]:
    import textwrap

    return textwrap.wrap(text, 96, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)


def _literal(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value + '"' if '"' not in value and "\\" not in value else repr(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f'"{k}": {_literal(v)}' for k, v in value.items()) + "}"
    return repr(value)


def scheduler_kwargs(params: Mapping[str, Any], schedule_params: tuple[Param, ...]) -> dict[str, Any]:
    """The function's own keyword arguments that differ from their defaults (num_warmup_steps and
    num_training_steps are get_scheduler's)."""
    return {p.name: params[p.name] for p in schedule_params
            if p.argument and p.name not in PASSED_BY_GET_SCHEDULER and params.get(p.name) != p.default}


def emitter(name: str, schedule_params: tuple[Param, ...]):
    """emit(params, rows, label): a script building the scheduler with transformers.get_scheduler
    on a placeholder model, stepped as Trainer steps it, leaving the rate of every update in lrs."""
    kind = name.replace("-", "_")

    def emit(params: Mapping[str, Any], rows: int, label: str) -> str:
        plateau = name == "reduce-lr-on-plateau"
        kwargs = {} if name in IGNORES_KWARGS else scheduler_kwargs(params, schedule_params)
        arguments = [f'"{kind}"', "optimizer"]
        if not plateau:
            total = params["num_training_steps"]
            if name == "warmup-stable-decay" and params["num_stable_steps"] is not None:
                total = None  # with num_stable_steps, transformers warns and ignores num_training_steps
            if name != "constant":
                arguments.append(f"num_warmup_steps={params['num_warmup_steps']}")
            if total is not None:
                arguments.append(f"num_training_steps={total}")
        if kwargs:
            arguments.append(f"scheduler_specific_kwargs={_literal(kwargs)}")
        unit = "epoch" if plateau else "optimizer update"
        out = _comment(f"{label} (transformers.{ORIGINS[name]}), as lrplot draws it: {unit} t trains "
                       f"with row t of lrplot's curve (t = 0..{rows - 1}).")
        if not plateau:
            trainer = [f"learning_rate={params['lr']!r}", f'lr_scheduler_type="{kind}"']
            if name != "constant" and params["num_warmup_steps"]:
                trainer.append(f"warmup_steps={params['num_warmup_steps']}")
            if params["num_training_steps"] is not None:
                trainer.append(f"max_steps={params['num_training_steps']}")
            if kwargs:
                trainer.append(f"lr_scheduler_kwargs={_literal(kwargs)}")
            out += _comment(f"Trainer builds the same scheduler from TrainingArguments({', '.join(trainer)})")
        out += [
            "import torch",
            "import transformers",
            "",
            "model = torch.nn.Linear(1, 1)  # replace with your model",
            f"optimizer = torch.optim.AdamW(model.parameters(), lr={params['lr']!r})",
            "scheduler = transformers.get_scheduler(",
            *(f"    {a}," for a in arguments),
            ")",
            "",
        ]
        if plateau:
            values = [float(v) for v in params["metrics"].values[: max(rows - 1, 0)]]
            out += [
                "# The metric per epoch lrplot was given (Trainer passes its evaluation metric).",
                f"metrics = [{', '.join(repr(v) for v in values)}]",
                "lrs = [scheduler.get_last_lr()[0]]  # the rate of epoch 0",
                "for metric in metrics:",
                "    optimizer.step()  # replace with a whole epoch of training",
                "    scheduler.step(metric)  # once per evaluation, with its metric",
                "    lrs.append(scheduler.get_last_lr()[0])",
            ]
        else:
            out += [
                "lrs = [scheduler.get_last_lr()[0]]  # the rate of update 0",
                f"for update in range(1, {rows}):",
                "    optimizer.step()  # replace with a training step: forward, backward, optimizer.step()",
                "    scheduler.step()  # after every optimizer.step(), as Trainer does",
                "    lrs.append(scheduler.get_last_lr()[0])",
            ]
        out += ["for lr in lrs:", "    print(repr(lr))"]
        return "\n".join(out) + "\n"

    return emit


# --- the entries ----------------------------------------------------------------------------------

ORIGINS = {
    "linear": "get_linear_schedule_with_warmup",
    "cosine": "get_cosine_schedule_with_warmup",
    "cosine-with-restarts": "get_cosine_with_hard_restarts_schedule_with_warmup",
    "polynomial": "get_polynomial_decay_schedule_with_warmup",
    "constant": "get_constant_schedule",
    "constant-with-warmup": "get_constant_schedule_with_warmup",
    "inverse-sqrt": "get_inverse_sqrt_schedule",
    "reduce-lr-on-plateau": "get_reduce_on_plateau_schedule",
    "cosine-with-min-lr": "get_cosine_with_min_lr_schedule_with_warmup",
    "cosine-warmup-with-min-lr": "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "warmup-stable-decay": "get_wsd_schedule",
}
# Each function's parameters in order, as transformers spells them (how ``lrplot code`` reads
# positional arguments).
SIGNATURES = {
    "linear": ("optimizer", "num_warmup_steps", "num_training_steps", "last_epoch"),
    "cosine": ("optimizer", "num_warmup_steps", "num_training_steps", "num_cycles", "last_epoch"),
    "cosine-with-restarts": ("optimizer", "num_warmup_steps", "num_training_steps", "num_cycles",
                             "last_epoch"),
    "polynomial": ("optimizer", "num_warmup_steps", "num_training_steps", "lr_end", "power", "last_epoch"),
    "constant": ("optimizer", "last_epoch"),
    "constant-with-warmup": ("optimizer", "num_warmup_steps", "last_epoch"),
    "inverse-sqrt": ("optimizer", "num_warmup_steps", "timescale", "last_epoch"),
    "reduce-lr-on-plateau": ("optimizer",),
    "cosine-with-min-lr": ("optimizer", "num_warmup_steps", "num_training_steps", "num_cycles", "last_epoch",
                           "min_lr", "min_lr_rate"),
    "cosine-warmup-with-min-lr": ("optimizer", "num_warmup_steps", "num_training_steps", "num_cycles",
                                  "last_epoch", "min_lr", "min_lr_rate", "warmup_lr_rate"),
    "warmup-stable-decay": ("optimizer", "num_warmup_steps", "num_decay_steps", "num_training_steps",
                            "num_stable_steps", "warmup_type", "decay_type", "min_lr_ratio", "num_cycles",
                            "last_epoch"),
}
RUN_ROWS = "num_training_steps rows: the updates of the run (given, or Trainer's from the epochs and batches)"


def hf_schedule(name: str, summary: str, own: tuple[Param, ...], *, lr, lr_range, example: str,
                warn, takes_warmup: bool = True, needs_total: bool = True, check=None,
                horizon=lambda p: p["num_training_steps"], horizon_text: str = RUN_ROWS,
                annotate=annotate_run, limit=None, scaled=None) -> Schedule:
    """One LambdaLR schedule of transformers, with Trainer's arithmetic."""
    warmup = (NUM_WARMUP_STEPS,) if takes_warmup else ()
    params = (LR, *warmup, NUM_TRAINING_STEPS, *own, *TRAINER)
    origin = f"transformers.{ORIGINS[name]}"
    return register(Schedule(
        name=name,
        framework="hf",
        origin=origin,
        summary=summary,
        params=params,
        lr=lr,
        lr_range=lr_range,
        horizon=horizon,
        horizon_text=horizon_text,
        example=example,
        resolve=resolver(name, ORIGINS[name], params, needs_total=needs_total, takes_warmup=takes_warmup,
                         check=check),
        limit=limit,
        warn=warn,
        annotate=annotate,
        epoch_length=epoch_length,
        derived=derived,
        # A LambdaLR: its rate is base_lr · λ(its own step count), whatever the rate it finds.
        stepping=Stepping(),
        emit=emitter(name, params),
        signature=SIGNATURES[name],
        scaled=scaled or (lambda n: {"num_training_steps": n, "num_warmup_steps": n // 10}),
    ))


LINEAR = hf_schedule(
    "linear", "Linear warm-up from 0 to lr, then a linear decay to 0 at num_training_steps (the default).",
    (), lr=linear_lr, lr_range=linear_range, warn=warn_linear,
    example="hf linear --lr 2e-5 --num-train-epochs 3 --batches-per-epoch 1563 --warmup-steps 0.06",
)
COSINE = hf_schedule(
    "cosine", "Linear warm-up from 0, then a cosine from lr down to 0 at num_training_steps.",
    (NUM_CYCLES,), lr=cosine_lr, lr_range=cosine_range, warn=warn_cosine,
    example="hf cosine --lr 2e-5 --num-train-epochs 3 --batches-per-epoch 1563 "
            "--gradient-accumulation-steps 4 --warmup-steps 0.03",
)
COSINE_WITH_RESTARTS = hf_schedule(
    "cosine-with-restarts", "Linear warm-up, then num_cycles cosines from lr to 0, each restarting at lr.",
    (Integer("num_cycles", "Cosines (hard restarts) over the decay.", 1, ge=0),),
    lr=cosine_restarts_lr, lr_range=cosine_restarts_range, warn=warn_restarts,
    example="hf cosine-with-restarts --lr 1e-4 --num-warmup-steps 100 --num-training-steps 3000 "
            "--num-cycles 3",
    scaled=lambda n: {"num_training_steps": n, "num_warmup_steps": n // 10, "num_cycles": 3},
)
POLYNOMIAL = hf_schedule(
    "polynomial", "Linear warm-up, then (lr - lr_end) x remaining^power + lr_end down to lr_end.",
    (Real("lr_end", "The rate at num_training_steps and after (must be below lr).", 1e-7, ge=0),
     Real("power", "The decay's power (1: linear).", 1.0, ge=0)),
    lr=polynomial_lr, lr_range=polynomial_range, warn=warn_polynomial, check=check_polynomial,
    limit=polynomial_limit,
    example="hf polynomial --lr 1e-4 --num-warmup-steps 500 --num-training-steps 10000 --power 2 "
            "--lr-end 1e-6",
    scaled=lambda n: {"num_training_steps": n, "num_warmup_steps": n // 10, "power": 2.0},
)
CONSTANT = hf_schedule(
    "constant", "lr at every step (get_scheduler gives it no warm-up, even with warmup_steps).",
    (), lr=constant_lr, lr_range=constant_range, warn=warn_constant, takes_warmup=False,
    needs_total=False, horizon=open_horizon,
    horizon_text=f"num_training_steps rows when the run is known, else {OPEN_ROWS}",
    example="hf constant --lr 5e-5 --max-steps 1000",
    scaled=lambda n: {"num_training_steps": n},
)
CONSTANT_WITH_WARMUP = hf_schedule(
    "constant-with-warmup", "Linear warm-up from 0 to lr, then lr.",
    (), lr=constant_with_warmup_lr, lr_range=constant_with_warmup_range, warn=warn_constant_with_warmup,
    needs_total=False, horizon=open_horizon,
    horizon_text=f"num_training_steps rows when the run is known, "
                 f"else max({OPEN_ROWS}, 2 x num_warmup_steps)",
    example="hf constant-with-warmup --lr 5e-5 --num-warmup-steps 100 --max-steps 1000",
)
INVERSE_SQRT = hf_schedule(
    "inverse-sqrt", "Linear warm-up, then lr / sqrt((t + timescale - num_warmup_steps) / timescale).",
    (Integer("timescale", "The decay's time scale (default: num_warmup_steps, or 10000 without a warm-up).",
             ge=1),),
    lr=inverse_sqrt_lr, lr_range=inverse_sqrt_range, warn=warn_inverse_sqrt, needs_total=False,
    check=check_inverse_sqrt, horizon=inverse_sqrt_horizon,
    horizon_text="num_training_steps rows when the run is known, else num_warmup_steps + 10 x timescale",
    example="hf inverse-sqrt --lr 1e-3 --num-warmup-steps 4000 --max-steps 100000",
)
# --- reduce-lr-on-plateau: torch's ReduceLROnPlateau, which get_scheduler builds from the kwargs ---

_PLATEAU_PARAMS = (LR, *(p for p in _plateau.PLATEAU.params if p.name != "lr"), LR_SCHEDULER_KWARGS)
_PLATEAU_KWARGS = {p.name: p for p in _PLATEAU_PARAMS if p.argument}


def resolve_plateau(values: dict[str, Any], context: Context) -> dict[str, Any]:
    values = _apply_kwargs(values, "reduce-lr-on-plateau", ORIGINS["reduce-lr-on-plateau"], _PLATEAU_KWARGS)
    return _plateau.resolve(values, context)


REDUCE_LR_ON_PLATEAU = register(Schedule(
    name="reduce-lr-on-plateau",
    framework="hf",
    origin=f"transformers.{ORIGINS['reduce-lr-on-plateau']}",
    summary="torch's ReduceLROnPlateau, as get_scheduler builds it: cut the rate when the metric stalls.",
    params=_PLATEAU_PARAMS,
    lr=_plateau.reduce_on_plateau,
    lr_range=_plateau.reduce_on_plateau_range,
    row_unit="epoch",
    metric="metrics",
    warn=_plateau.PLATEAU.warn,
    horizon=_plateau.PLATEAU.horizon,
    horizon_text="one row per metric value (one per evaluation)",
    resolve=resolve_plateau,
    limit=_plateau.limit,
    extras=_plateau.PLATEAU.extras,
    extras_range=_plateau.PLATEAU.extras_range,
    annotate=_plateau.annotate,
    example="hf reduce-lr-on-plateau --lr 1e-4 --metrics val.csv --column val_acc --mode max --patience 2",
    stepping=_plateau.PLATEAU.stepping,
    emit=emitter("reduce-lr-on-plateau", _PLATEAU_PARAMS),
    signature=SIGNATURES["reduce-lr-on-plateau"],
    # A loss that improves every 1000 epochs and stalls between: a cut after each patience.
    scaled=lambda n: {"metrics": 1.0 / (1.0 + np.arange(n) // 1000)},
))


_MIN_LR = (
    NUM_CYCLES,
    Real("min_lr", "The floor the cosine ends at (give this or --min-lr-rate).", ge=0),
    Real("min_lr_rate", "The floor as a fraction of lr (give this or --min-lr).", ge=0),
)
COSINE_WITH_MIN_LR = hf_schedule(
    "cosine-with-min-lr", "Linear warm-up from 0, then a cosine from lr to min_lr at num_training_steps.",
    _MIN_LR, lr=cosine_with_min_lr_lr, lr_range=cosine_with_min_lr_range, warn=warn_cosine_with_min_lr,
    check=check_min_lr, annotate=annotate_min_lr,
    example="hf cosine-with-min-lr --lr 3e-4 --num-warmup-steps 200 --num-training-steps 5000 "
            "--min-lr-rate 0.1",
    scaled=lambda n: {"num_training_steps": n, "num_warmup_steps": n // 10, "min_lr_rate": 0.1},
)
COSINE_WARMUP_WITH_MIN_LR = hf_schedule(
    "cosine-warmup-with-min-lr",
    "Warm-up reaching lr one step early, then a cosine to min_lr one step early.",
    (*_MIN_LR, Real("warmup_lr_rate", "The warm-up's first rate, as a fraction of lr (default: 1 / "
                    "num_warmup_steps).", ge=0)),
    lr=cosine_warmup_with_min_lr_lr, lr_range=cosine_warmup_with_min_lr_range,
    warn=warn_cosine_warmup_with_min_lr, check=check_min_lr, annotate=annotate_min_lr,
    example="hf cosine-warmup-with-min-lr --lr 3e-4 --num-warmup-steps 200 --num-training-steps 5000 "
            "--min-lr 3e-5",
    scaled=lambda n: {"num_training_steps": n, "num_warmup_steps": n // 10, "min_lr_rate": 0.1},
)
WARMUP_STABLE_DECAY = hf_schedule(
    "warmup-stable-decay", "Warm-up, a stable stretch at lr, then a decay to min_lr_ratio x lr (WSD).",
    (Integer("num_stable_steps", "Steps at lr (default: what the run leaves: n - warm-up - decay).", ge=0),
     Integer("num_decay_steps", "Steps of the decay (required).", ge=0),
     Choice("warmup_type", "The warm-up's shape.", "linear", choices=WSD_SHAPES),
     Choice("decay_type", "The decay's shape.", "cosine", choices=WSD_SHAPES),
     Real("min_lr_ratio", "Where the warm-up starts and the decay ends, as a fraction of lr.", 0.0, ge=0),
     NUM_CYCLES),
    lr=wsd_lr, lr_range=wsd_range, warn=warn_wsd, needs_total=False, check=check_wsd, horizon=wsd_horizon,
    horizon_text="num_training_steps rows when the run is known, else warm-up + stable + decay steps",
    annotate=annotate_wsd,
    example="hf warmup-stable-decay --lr 3e-4 --num-warmup-steps 500 --num-training-steps 10000 "
            "--num-decay-steps 2000 --decay-type 1-sqrt",
    scaled=lambda n: {"num_training_steps": n, "num_warmup_steps": n // 10, "num_decay_steps": n // 5},
)



# --- a TrainingArguments config (lrplot run) ------------------------------------------------------

# TrainingArguments' keys that shape the schedule -> lrplot's parameters (the rest of a config, such
# as output_dir or logging_steps, does not).
CONFIG_KEYS = {"learning_rate": "lr", **{p.name: p.name for p in TRAINER if p.name != "warmup_ratio"}}


def read_config(document: Mapping[str, Any],
                values: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The schedule a TrainingArguments config describes (a YAML or JSON of its arguments, e.g. a
    saved training_args.json): ``lr_scheduler_type`` (default linear) with learning_rate,
    warmup_steps, lr_scheduler_kwargs, the epochs, batches and accumulation. ``values`` (--set,
    --batches-per-epoch) fill or replace its keys: what the config cannot know, such as the
    dataloader's length. Keys of TrainingArguments that do not shape the schedule are ignored."""
    merged = {**document, **values}
    kind = merged.get("lr_scheduler_type", "linear")
    if not isinstance(kind, str):
        raise Invalid(f"{{}} must be a SchedulerType value such as cosine, got {show(kind)}",
                      "lr_scheduler_type")
    name = kind.removeprefix("SchedulerType.").lower().replace("_", "-")
    if name not in ORIGINS:
        known = ", ".join(n.replace("-", "_") for n in ORIGINS)
        why = " (GreedyLR: a per-epoch recurrence with resets, no closed form)" if name == "greedy" else ""
        raise Invalid(f"{{}} {show(kind)} is not a schedule lrplot reproduces{why}; known: {known}",
                      "lr_scheduler_type")
    ratio = merged.get("warmup_ratio")
    if ratio not in (None, 0, 0.0):
        raise Invalid(f"{{}} {show(ratio)} is an older release's key (transformers 5 has none): give the "
                      "ratio as warmup_steps (values < 1 are a ratio of the run)", "warmup_ratio")
    # An empty lr_scheduler_kwargs (what a saved config holds) is no kwargs.
    raw = {ours: merged[theirs] for theirs, ours in CONFIG_KEYS.items()
           if merged.get(theirs) not in (None, {})}
    if raw.get("num_examples") is None:  # a config always has them; they count only with examples
        for unused in ("per_device_train_batch_size", "world_size", "dataloader_drop_last"):
            raw.pop(unused, None)
    for key in ("metrics", "column"):  # reduce-lr-on-plateau's metric, given with --set
        if key in merged:
            raw[key] = merged[key]
    return [(f"hf.{name}", raw)]
