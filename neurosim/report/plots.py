"""Plots of result records (PNG and SVG), readable without the docs: titled, with units and legends."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _save(fig, out_dir: Path, stem: str) -> list[Path]:
    paths = []
    for ext in ("png", "svg"):
        p = out_dir / f"{stem}.{ext}"
        tmp = p.with_name(f".{p.stem}.tmp.{ext}")
        fig.savefig(tmp, dpi=130, bbox_inches="tight")
        tmp.replace(p)
        paths.append(p)
    plt.close(fig)
    return paths


def _series(records: list[dict], key: str) -> dict[str, tuple[list, list]]:
    out: dict[str, tuple[list, list]] = {}
    for r in sorted(records, key=lambda r: r["sparsity"]):
        if r.get("fits", True) and r.get(key) is not None:
            label = r["hardware"] if r.get("method") in (None, "") else f"{r['hardware']} ({r['method']})"
            xs, ys = out.setdefault(label, ([], []))
            xs.append(100 * r["sparsity"])
            ys.append(r[key])
    return out


def energy_vs_sparsity(records: list[dict], out_dir: Path, title: str = "") -> list[Path]:
    """Energy per inference against weight sparsity, one line per chip (log scale)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for label, (xs, ys) in _series(records, "energy_per_inference_j").items():
        ax.plot(xs, [y * 1e6 for y in ys], marker="o", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("weight sparsity (% of synapses pruned)")
    ax.set_ylabel("energy per inference (µJ)")
    ax.set_title(title or "Energy per inference vs sparsity")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="chip")
    return _save(fig, out_dir, "energy_vs_sparsity")
