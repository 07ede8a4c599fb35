"""The DeepSpeed side of the comparisons: deepspeed.runtime.lr_schedules' classes stepped by lrplot's
index convention, which is how DeepSpeed's engine steps them.

Importing this module imports neither torch nor DeepSpeed; :func:`deepspeed_rows` does. Row t is the
optimizer's lr during update t: recorded before ``optimizer.step()``, after which the scheduler is
stepped, as ``engine.step()`` does (``optimizer.step()``, then ``lr_scheduler.step()``). The
momentum is beta1 of the optimizer's betas, which OneCycle cycles. The optimizer is torch's AdamW
with lr = the ``lr`` parameter (its default 1e-3 otherwise): the rate WarmupCosineLR scales and
WarmupLR's default peak.

:func:`engine_rows` runs DeepSpeed's engine itself (``deepspeed.initialize`` with a config's
"scheduler" section) in a subprocess, for the tests that prove the convention on the engine.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lrplot.schedules.deepspeed import CLASSES  # lrplot's schedule name -> DeepSpeed's class

DEFAULT_LR = 1e-3
# Parameters that are not arguments of DeepSpeed's classes: the optimizer's lr.
NOT_ARGUMENTS = frozenset({"lr"})
# What DeepSpeed logs while it is driven (the constructor's "Attempting to get learning rate from
# scheduler before it has started", the accelerator's choice of CPU) is its business, not a test's.
QUIET = logging.ERROR


def _quiet() -> None:
    logging.getLogger("DeepSpeed").setLevel(QUIET)


def build(schedule: str, params: Mapping[str, Any]) -> tuple[Any, Any]:
    """(optimizer, scheduler) for lrplot's schedule name and parameters (lrplot names, which are
    DeepSpeed's; parameters left out take DeepSpeed's own defaults)."""
    import torch
    from deepspeed.runtime import lr_schedules

    _quiet()
    weight = torch.nn.Parameter(torch.zeros(1))
    lr = params.get("lr")
    optimizer = torch.optim.AdamW([weight], lr=DEFAULT_LR if lr is None else lr)
    kwargs = {k: v for k, v in params.items() if k not in NOT_ARGUMENTS}
    scheduler = getattr(lr_schedules, CLASSES[schedule])(optimizer, **kwargs)
    return optimizer, scheduler


def deepspeed_rows(schedule: str, params: Mapping[str, Any], rows: int) -> dict[str, np.ndarray]:
    """Rows 0..rows-1 as DeepSpeed produces them: ``{"lr": ...}``, and ``"momentum"`` (beta1) when
    the scheduler cycles it."""
    optimizer, scheduler = build(schedule, params)
    group = optimizer.param_groups[0]
    momentum = bool(getattr(scheduler, "cycle_momentum", False))
    lr = np.empty(rows)
    beta1 = np.empty(rows if momentum else 0)
    for t in range(rows):
        lr[t] = float(group["lr"])
        if momentum:
            beta1[t] = float(group["betas"][0])
        if t == rows - 1:
            break
        optimizer.step()
        scheduler.step()
    return {"lr": lr, "momentum": beta1} if momentum else {"lr": lr}


# --- DeepSpeed's engine ---------------------------------------------------------------------------

ENGINE_SCRIPT = r"""
import importlib, json, logging, os, sys
os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=sys.argv[1], RANK="0", WORLD_SIZE="1",
                  LOCAL_RANK="0", LOCAL_SIZE="1")
import torch
import deepspeed
logging.getLogger("DeepSpeed").setLevel(logging.ERROR)
# The CPU accelerator compiles a shared-memory collective on first use (minutes); one process
# needs no collectives.
importlib.import_module("deepspeed.comm.torch").build_shm_op = lambda: None
out = []
for case in json.loads(sys.stdin.read()):
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=case["lr"])
    config = {"train_batch_size": 1, "scheduler": case["scheduler"]}
    engine, optimizer, _, scheduler = deepspeed.initialize(model=model, optimizer=optimizer, config=config)
    lrs, betas = [], []
    for t in range(case["rows"]):
        lrs.append(float(engine.get_lr()[0]))
        betas.append(float(optimizer.param_groups[0]["betas"][0]))
        loss = engine(torch.ones(1, 2)).sum()
        engine.backward(loss)
        engine.step()
    out.append({"lr": lrs, "momentum": betas})
print("RESULT " + json.dumps(out))
"""


def free_port() -> int:
    """A TCP port nothing listens on, for the one-process group torch.distributed sets up."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def engine_rows(cases: Sequence[Mapping[str, Any]]) -> list[dict[str, np.ndarray]]:
    """For each case {"scheduler": <config section>, "lr": optimizer lr, "rows": N}, the rate (and
    beta1) of every update as DeepSpeed's engine trains: ``deepspeed.initialize`` with the config,
    then forward, ``engine.backward``, ``engine.step()`` per update."""
    done = subprocess.run(
        [sys.executable, "-c", ENGINE_SCRIPT, str(free_port())],
        input=json.dumps(list(cases)), capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"DeepSpeed's engine failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return [{k: np.array(v) for k, v in item.items()} for item in json.loads(lines[-1][7:])]
