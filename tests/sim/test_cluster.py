"""Samples split over Dask workers join into the result of one process."""

import numpy as np
import pytest

from neurosim.mapper import compile_network
from neurosim.sim import simulate
from neurosim.sim.cluster import join_results, simulate_on_cluster

from .chips import chip as make_chip
from .nets import random_network

pytest.importorskip("dask.distributed")


def _case():
    net = random_network(3, n_hidden=3, skip=True, self_rec=True, feedback=False, readout=False, density=0.6)
    chip = compile_network(net, make_chip(), "sparse", objective="cores")
    n_in = net.populations[0].size
    x = (np.random.default_rng(0).random((7, 6, n_in)) < 0.4).astype(np.int32)
    return chip, x


def _same(a, b):
    assert a.counts.keys() == b.counts.keys()
    for k in a.counts:
        np.testing.assert_array_equal(a.counts[k], b.counts[k], err_msg=k)
    for name in ("step_cycles", "step_s", "overhead_s", "core_busy_cycles", "link_loads", "injected", "delivered"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for k in a.spikes_per_population:
        np.testing.assert_array_equal(a.spikes_per_population[k], b.spikes_per_population[k])


def test_slices_join_into_the_whole():
    chip, x = _case()
    whole = simulate(chip, x, record_raster=True)
    parts = [simulate(chip, x[a:b], record_raster=True) for a, b in ((0, 3), (3, 4), (4, 7))]
    joined = join_results(parts)
    _same(joined, whole)
    np.testing.assert_array_equal(joined.raster, whole.raster)
    assert joined.samples == 7


def test_two_local_workers_give_the_single_process_result():
    from neurosim.dask_cluster import dask_client

    chip, x = _case()
    with dask_client("local", 2) as client:
        got = simulate_on_cluster(chip, x, client, tasks=3)
    _same(got, simulate(chip, x))
