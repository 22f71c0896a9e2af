"""BPTT training loop with per-iteration callbacks and fixed binary masks (the pruning hook).

Loss: softmax cross-entropy of the readout potential averaged over the T steps. Prediction (float
and deploy model alike): argmax of the readout potential summed over its T-step window.

Pruning hook (issue 6): every callback is called as ``callback(trainer, step, record)`` after each
optimiser step, with a `BatchRecord` holding the pre-reset membrane potentials of every LIF layer
of that forward pass. `Trainer.set_masks({param_name: mask})` installs binary masks that are
applied after every optimiser step (W ← W·M), so pruned weights stay zero; a callback may change
them at any time. `fine_tune` continues training an existing model under fixed masks.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from neurosim.config.workload import Model as ModelSpec
from neurosim.progress import bar
from neurosim.snn.datasets import Dataset, Split
from neurosim.snn.encoders import Encoder
from neurosim.snn.model import SNN
from neurosim.snn.optim import cosine_lr, make_optimizer


@dataclass
class BatchRecord:
    """What one training iteration saw. `potentials[name]`: pre-reset membrane potentials of LIF
    layer `name`, shape (T, B, C[, H, W]) (float32; valid until the next forward pass)."""

    epoch: int
    step: int
    loss: float
    correct: int
    batch_size: int
    labels: np.ndarray
    potentials: dict[str, np.ndarray]
    lr: float


Callback = Callable[["Trainer", int, BatchRecord], None]
"""Called after each optimiser step. A callback object may also have `before_step(trainer, step, lr)`,
called after the backward pass and before the optimiser step, to add to the gradients (`param.grad`)."""


def shift_images(x: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Shift every image (N, C, H, W) by its own random (dy, dx) in [−s, s]², zero fill."""
    if max_shift <= 0 or x.ndim != 4:
        return x
    s = max_shift
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (s, s), (s, s)))
    d = rng.integers(0, 2 * s + 1, size=(N, 2))
    out = np.empty_like(x)
    for i in range(N):
        out[i] = xp[i, :, d[i, 0]:d[i, 0] + H, d[i, 1]:d[i, 1] + W]
    return out


def blas_threads():
    """Context limiting BLAS to $NEUROSIM_TRAIN_THREADS threads (default 1) while training.

    The matrices of these small networks are too small for a second BLAS thread to pay, and on a
    shared machine OpenBLAS threads spin-waiting for a busy core made training 2-5x slower; the
    cores are better used by independent runs (seeds, levels). Needs threadpoolctl (installed with
    the `data` extra); without it BLAS keeps its default."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=int(os.environ.get("NEUROSIM_TRAIN_THREADS", "1")), user_api="blas")


def softmax_ce(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy and its gradient w.r.t. the logits."""
    z = logits - logits.max(1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    B = y.shape[0]
    loss = float(-np.log(p[np.arange(B), y] + 1e-12).mean())
    p[np.arange(B), y] -= 1
    return loss, p / B


def predict(model: SNN, encoder: Encoder, x: np.ndarray, chunk: int = 500) -> np.ndarray:
    """Class = argmax of the readout potential summed over the T steps (eval mode)."""
    inp, timed = encoder.float_batch(x)
    preds = []
    for i in range(0, x.shape[0], chunk):
        part = inp[:, i:i + chunk] if timed else inp[i:i + chunk]
        preds.append(model.forward(part, train=False, timed=timed).sum(0).argmax(1))
    return np.concatenate(preds) if preds else np.zeros(0, np.int64)


def accuracy(model: SNN, encoder: Encoder, split: Split) -> float:
    with blas_threads():
        return float((predict(model, encoder, split.x) == split.y).mean())


@dataclass
class Trainer:
    """Trains `model` on `dataset` with the hyper-parameters of a workload `model` section.
    `epochs` and `lr` override the spec (fine-tuning)."""

    model: SNN
    spec: ModelSpec
    dataset: Dataset
    encoder: Encoder
    seed: int = 0
    callbacks: Sequence[Callback] = ()
    progress: bool = True
    epochs: int | None = None
    lr: float | None = None
    masks: dict[str, np.ndarray] = field(default_factory=dict)
    eval_every: int = 0  # test accuracy every k epochs (0: never, the caller evaluates)
    history: list[dict] = field(default_factory=list)
    desc: str = "training"  # what the progress bar says

    def __post_init__(self):
        self.epochs = self.spec.epochs if self.epochs is None else self.epochs
        self.lr = self.spec.lr if self.lr is None else self.lr
        self.params = self.model.params()
        self.opt = make_optimizer(self.spec.optimizer, self.params, self.lr, self.spec.momentum,
                                  self.spec.weight_decay)
        self.step = 0
        self.set_masks(dict(self.masks))

    def set_masks(self, masks: dict[str, np.ndarray]) -> None:
        """Install binary masks {param name: array of the parameter's shape} and apply them now."""
        for name, m in masks.items():
            p = self.model.param(name)
            if m.shape != p.value.shape:
                raise ValueError(f"mask for {name} has shape {m.shape}, parameter has {p.value.shape}")
        self.masks = {k: np.asarray(v).astype(self.model.param(k).value.dtype) for k, v in masks.items()}
        self.apply_masks()

    def apply_masks(self) -> None:
        for name, m in self.masks.items():
            self.model.param(name).value *= m

    def fit(self) -> list[dict]:
        """Run all epochs; returns one dict per epoch (loss, train/test accuracy, seconds)."""
        with blas_threads():
            return self._fit()

    def _fit(self) -> list[dict]:
        rng = np.random.default_rng(self.seed + 1)
        tr = self.dataset.train
        B = self.spec.batch_size
        n_batches = (len(tr) + B - 1) // B
        total = self.epochs * n_batches
        with bar(self.epochs, self.desc, unit="epoch", show=self.progress) as b:
            for epoch in range(self.epochs):
                self._epoch(epoch, rng, tr, B, n_batches, total, b)
        return self.history

    def _epoch(self, epoch: int, rng, tr, B: int, n_batches: int, total: int, b) -> None:
        """One pass over the training set (the optimiser steps, callbacks, and the epoch's record)."""
        t0 = time.perf_counter()
        order = rng.permutation(len(tr))
        loss_sum, correct = 0.0, 0
        for bi in range(n_batches):
            idx = order[bi * B:(bi + 1) * B]
            x = shift_images(tr.x[idx], self.spec.augment_shift, rng)
            y = tr.y[idx]
            lr = cosine_lr(self.lr, self.step, total) if self.spec.schedule == "cosine" else self.lr
            inp, timed = self.encoder.float_batch(x, rng)
            self.model.zero_grad()
            out = self.model.forward(inp, train=True, timed=timed)
            T = out.shape[0]
            loss, dlogits = softmax_ce(out.mean(0), y)
            self.model.backward(np.broadcast_to(dlogits / T, out.shape).astype(out.dtype))
            for cb in self.callbacks:
                if hasattr(cb, "before_step"):
                    cb.before_step(self, self.step, lr)
            self.opt.step(lr)
            self.apply_masks()
            c = int((out.sum(0).argmax(1) == y).sum())
            loss_sum += loss * len(idx)
            correct += c
            rec = BatchRecord(epoch, self.step, loss, c, len(idx), y, self.model.potentials(), lr)
            for cb in self.callbacks:
                cb(self, self.step, rec)
            self.step += 1
        ep = {"epoch": epoch + 1, "loss": loss_sum / len(tr), "train_accuracy": correct / len(tr),
              "seconds": time.perf_counter() - t0}
        if self.eval_every and ((epoch + 1) % self.eval_every == 0 or epoch + 1 == self.epochs):
            ep["test_accuracy"] = accuracy(self.model, self.encoder, self.dataset.test)
        test = f" test {100 * ep['test_accuracy']:.2f}%" if "test_accuracy" in ep else ""
        b.update(1, f"loss {ep['loss']:.4f} train {100 * ep['train_accuracy']:.2f}%{test}")
        self.history.append(ep)


def fine_tune(model: SNN, spec: ModelSpec, dataset: Dataset, encoder: Encoder, masks: dict[str, np.ndarray],
              *, epochs: int, lr: float | None = None, seed: int = 0, callbacks: Sequence[Callback] = (),
              progress: bool = True) -> Trainer:
    """Continue training `model` (in place) with `masks` held fixed; lr defaults to spec.lr / 10."""
    tr = Trainer(model, spec, dataset, encoder, seed=seed, callbacks=callbacks, progress=progress,
                 epochs=epochs, lr=spec.lr / 10 if lr is None else lr, masks=masks)
    tr.fit()
    return tr
