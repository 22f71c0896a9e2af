"""Numba kernels of the partitioner: the word count of a core's synapse rows and its distinct input
axons, in time linear in the synapses of the candidate range (no sort, no per-neuron Python)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def rows_words(ptr: np.ndarray, src: np.ndarray, lo: np.uint64, hi: np.uint64, const_bits: np.int64,
               per_syn_bits: np.int64, word_bits: np.int64, cnt: np.ndarray, touched: np.ndarray,
               seen: np.ndarray, stamp: np.int64) -> tuple[np.int64, np.int64]:
    """Rows of the targets lo..hi-1 of one projection (CSR by target: ptr, src = global source id).
    Returns (Σ words of ⌈(const + nnz·per_syn) / word⌉ over rows, sources not yet marked `stamp` in
    `seen`, which it marks). cnt must be all zero and is left all zero."""
    n_t = 0
    for e in range(ptr[lo], ptr[hi]):
        s = src[e]
        if cnt[s] == 0:
            touched[n_t] = s
            n_t += 1
        cnt[s] += 1
    words = np.int64(0)
    new = np.int64(0)
    for i in range(n_t):
        s = touched[i]
        words += (const_bits + cnt[s] * per_syn_bits + word_bits - 1) // word_bits
        cnt[s] = 0
        if seen[s] != stamp:
            seen[s] = stamp
            new += 1
    return words, new


@njit(cache=True)
def mark_range(seen: np.ndarray, stamp: np.int64, lo: np.int64, hi: np.int64) -> np.int64:
    """Mark sources lo..hi-1 (a whole source population) in `seen`; return how many were new."""
    new = np.int64(0)
    for s in range(lo, hi):
        if seen[s] != stamp:
            seen[s] = stamp
            new += 1
    return new


@njit(cache=True)
def csr_by_target(post: np.ndarray, pre: np.ndarray, n_post: np.int64, pre_off: np.int64
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Counting sort of edges by target: (ptr [n_post + 1], global source ids grouped by target, uint32)."""
    ptr = np.zeros(n_post + 1, np.uint64)
    for e in range(post.size):
        ptr[post[e] + 1] += 1
    for i in range(n_post):
        ptr[i + 1] += ptr[i]
    fill = ptr[:-1].copy()
    src = np.empty(post.size, np.uint32)
    for e in range(post.size):
        t = post[e]
        src[fill[t]] = np.uint32(np.int64(pre[e]) + pre_off)
        fill[t] += 1
    return ptr, src


@njit(cache=True)
def out_cost(s0: np.int64, s1: np.int64, ptr: np.ndarray, tgt: np.ndarray, a: np.int64, b: np.int64,
             cur: np.int64, est: np.ndarray, extra: np.ndarray, stamp_src: np.ndarray, stamp_piece: np.ndarray,
             tick: np.int64, tgt_off: np.int64 = 0) -> tuple[np.int64, np.int64, np.int64]:
    """Output side of sources s0..s1-1 (local ids of one population piece on the core being cut, which holds
    sequence positions [a, b) and gets id `cur`): Σ over sources of distinct destination cores
    (output axons) and the piece's distinct destination cores (routing entries). A target at
    sequence position q lands on `cur` if a <= q < b, else on est[q]; `extra` lists the cores of
    fully connected targets every source reaches; tgt[e] + tgt_off is the position of target e. Returns
    (axons, entries, last tick used)."""
    fan = np.int64(0)
    nd = np.int64(0)
    piece = tick + 1
    tick = piece
    for s in range(s0, s1):
        tick += 1
        for e in range(ptr[s], ptr[s + 1]):
            q = np.int64(tgt[e]) + tgt_off
            c = cur if (q >= a and q < b) else est[q]
            if stamp_src[c] != tick:
                stamp_src[c] = tick
                fan += 1
            if stamp_piece[c] != piece:
                stamp_piece[c] = piece
                nd += 1
        for i in range(extra.size):
            c = extra[i]
            if stamp_src[c] != tick:
                stamp_src[c] = tick
                fan += 1
            if stamp_piece[c] != piece:
                stamp_piece[c] = piece
                nd += 1
    return fan, nd, tick


@njit(cache=True)
def gather_runs(src: np.ndarray, starts: np.ndarray, counts: np.ndarray, out: np.ndarray) -> None:
    """out = the concatenated runs src[starts[i]:starts[i] + counts[i]] (i in order), without the index
    array of every element that a numpy fancy gather needs."""
    k = 0
    for i in range(starts.size):
        s = np.int64(starts[i])
        for j in range(np.int64(counts[i])):
            out[k] = src[s + j]
            k += 1
