"""The fastai side of every comparison: the real ``Learner.fit_one_cycle``, ``fit_flat_cos`` and
``fit_sgdr`` build their ParamScheduler, and the real callbacks of fastai's training loop
(TrainEvalCallback, SkipToEpoch, ParamScheduler) run their events batch by batch on fastai's own
Optimizer, with no model to train and no data: row t is ``opt.hypers[0]['lr']`` (and 'mom')
while training batch t runs, by lrplot's index convention.

:func:`fastai_rows` drives a stand-in Learner (the attributes those callbacks and ``fit_*``
read); :func:`learner_rows` trains a real, tiny ``Learner`` (a Linear model on a few tensors, on
the CPU) and records the same values from a callback, to prove the stand-in is the training
loop. Importing this module imports neither fastai nor torch.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np

# fastai's own defaults, read from its signatures: what lrplot's defaults must equal.
METHODS = {"one-cycle": "fit_one_cycle", "flat-cos": "fit_flat_cos", "sgdr": "fit_sgdr"}
# lrplot parameters that are not keyword arguments of fit_* (the spec's batches per epoch).
SPEC_OPTIONS = frozenset({"steps_per_epoch", "steps", "label"})
# The tolerance: lrplot reproduces fastai's arithmetic (float32 positions, float64 values), so the
# only difference left is numpy's cos against math.cos, an ulp or so of the curve's range.
RELATIVE_TO_SCALE = 1e-12


def fastai_module():
    import fastai.callback.schedule as schedule

    return schedule


def defaults() -> dict[str, dict[str, Any]]:
    """Each fit_* method's keyword defaults, with the Learner's lr and moms for the None ones."""
    from fastai.learner import Learner

    learner = inspect.signature(Learner.__init__).parameters
    found = {}
    for name, method in METHODS.items():
        fastai_module()
        params = inspect.signature(getattr(Learner, method)).parameters
        found[name] = {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}
        for key in ("lr_max", "lr"):
            if found[name].get(key, 0) is None:
                found[name][key] = learner["lr"].default
        if found[name].get("moms", 0) is None:
            found[name]["moms"] = learner["moms"].default
    return found


class _StandIn:
    """What fit_*, TrainEvalCallback and ParamScheduler read and write on a Learner."""

    def __init__(self, torch: Any, optimizer: Any):
        self.lr, self.moms = 1e-3, (0.95, 0.85, 0.95)
        self.opt = None
        self._make = optimizer
        self.model = torch.nn.Linear(1, 1)
        self.dls = object()  # no .device: TrainEvalCallback falls back to default_device()
        self.loss_func = None
        self.fitted: dict[str, Any] = {}

    def create_opt(self) -> None:
        self.opt = self._make(self.lr)

    def fit(self, n_epoch, cbs=None, reset_opt=False, wd=None, start_epoch=0) -> None:
        self.fitted = {"n_epoch": n_epoch, "cbs": list(cbs), "start_epoch": start_epoch}


def fastai_rows(schedule: str, params: Mapping[str, Any], rows: int) -> dict[str, np.ndarray]:
    """Rows 0..rows-1 of ``learn.fit_*`` as fastai's training loop sets them, from lrplot-style
    parameters (``steps_per_epoch`` batches an epoch). Returns {"lr"[, "momentum"]}."""
    import torch
    from fastai.callback.core import CancelEpochException, TrainEvalCallback
    from fastai.learner import Learner, SkipToEpoch
    from fastai.optimizer import Adam

    fastai_module()
    weight = torch.nn.Parameter(torch.zeros(1))
    learn = _StandIn(torch, lambda lr: Adam([weight], lr=lr))
    learner_defaults = inspect.signature(Learner.__init__).parameters
    learn.lr, learn.moms = learner_defaults["lr"].default, learner_defaults["moms"].default
    args, kwargs = _arguments(schedule, params, learn)
    getattr(Learner, METHODS[schedule])(learn, *args, **kwargs)
    n_epoch, start_epoch = learn.fitted["n_epoch"], learn.fitted["start_epoch"]
    scheduler = learn.fitted["cbs"][0]
    callbacks = [TrainEvalCallback(), scheduler]
    if start_epoch:
        callbacks.append(SkipToEpoch(start_epoch))
    for callback in callbacks:
        callback.learn = learn
    learn.n_epoch = n_epoch
    callbacks[0].before_fit()
    scheduler.before_fit()
    lr, momentum = [], []
    cycled = "mom" in scheduler.scheds
    per_epoch = params["steps_per_epoch"]
    for epoch in range(n_epoch):
        learn.epoch = epoch
        try:
            for callback in callbacks[2:]:
                callback.before_epoch()
        except CancelEpochException:
            continue
        callbacks[0].before_train()
        learn.n_iter = per_epoch
        for batch in range(per_epoch):
            if len(lr) == rows:
                break
            learn.iter = batch
            scheduler.before_batch()
            lr.append(float(learn.opt.hypers[0]["lr"]))
            if cycled:
                momentum.append(float(learn.opt.hypers[0]["mom"]))
            callbacks[0].after_batch()
            scheduler.after_batch()
    out = {"lr": np.array(lr)}
    if cycled:
        out["momentum"] = np.array(momentum)
    return out


def _arguments(schedule: str, params: Mapping[str, Any], learn: Any) -> tuple[list[Any], dict[str, Any]]:
    """fit_*'s arguments, every keyword passed explicitly (lr_max None when it is the Learner's
    lr, moms None when they are the Learner's moms: fit_* then read the Learner's own)."""
    if schedule == "one-cycle":
        return [params["n_epoch"]], {
            "lr_max": _or_none(params["lr_max"], learn.lr), "div": params["div"],
            "div_final": params["div_final"], "pct_start": params["pct_start"],
            "moms": _or_none(tuple(params["moms"]), learn.moms), "start_epoch": params["start_epoch"]}
    if schedule == "flat-cos":
        return [params["n_epoch"]], {
            "lr": _or_none(params["lr"], learn.lr), "div_final": params["div_final"],
            "pct_start": params["pct_start"], "start_epoch": params["start_epoch"]}
    return [params["n_cycles"], params["cycle_len"]], {
        "lr_max": _or_none(params["lr_max"], learn.lr), "cycle_mult": params["cycle_mult"],
        "start_epoch": params["start_epoch"]}


def _or_none(value: Any, learner_default: Any) -> Any:
    return None if value == learner_default else value


def learner_rows(schedule: str, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Every training batch of a real ``Learner.fit_*`` run: a Linear model on a few random tensors,
    ``steps_per_epoch`` batches of 2 an epoch, CPU; a callback after ParamScheduler records
    ``opt.hypers[0]['lr']`` (and 'mom') before each training batch."""
    import torch
    from fastai.callback.core import Callback
    from fastai.data.core import DataLoaders, TfmdDL
    from fastai.learner import Learner
    from fastai.losses import MSELossFlat
    from torch.utils.data import TensorDataset

    fastai_module()
    per_epoch = params["steps_per_epoch"]
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(2 * per_epoch, 1, generator=generator)
    data = TensorDataset(x, 2 * x + 1)
    dls = DataLoaders(TfmdDL(data, bs=2, shuffle=True), TfmdDL(TensorDataset(x[:2], x[:2]), bs=2))

    class Record(Callback):
        order = 61  # after ParamScheduler (60) has set this batch's values
        run_valid = False

        def before_fit(self):
            self.rates, self.momenta = [], []

        def before_batch(self):
            self.rates.append(float(self.opt.hypers[0]["lr"]))
            self.momenta.append(float(self.opt.hypers[0]["mom"]))

    record = Record()
    learn = Learner(dls, torch.nn.Linear(1, 1), loss_func=MSELossFlat())
    with learn.no_logging(), learn.no_bar():
        args, kwargs = _arguments(schedule, params, learn)
        getattr(learn, METHODS[schedule])(*args, cbs=record, **kwargs)
    out = {"lr": np.array(record.rates)}
    if schedule == "one-cycle":
        out["momentum"] = np.array(record.momenta)
    return out


def assert_matches(ours: np.ndarray, ref: np.ndarray, *, what: str = "lr", context: str = "") -> float:
    """Equal lengths, and every row within RELATIVE_TO_SCALE of the curve's largest |value|;
    returns the worst error in units of that scale. NaN rows must be NaN in both."""
    ours, ref = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    assert ours.shape == ref.shape, f"{what}: {ours.shape} rows, fastai {ref.shape}: {context}"
    nan = np.isnan(ref)
    np.testing.assert_array_equal(np.isnan(ours), nan, err_msg=f"{what} NaN rows: {context}")
    if nan.all():
        return 0.0
    scale = float(np.max(np.abs(ref[~nan]))) or 1.0
    error = float(np.max(np.abs(ours[~nan] - ref[~nan]))) / scale
    assert error <= RELATIVE_TO_SCALE, f"{what}: worst error {error:.3g} of the scale: {context}"
    return error
