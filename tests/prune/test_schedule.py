import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurosim.prune.schedule import GMPSchedule, cubic_sparsity, n_events


def test_seed_paper_cifar_schedule():
    # seed_paper.md §2.2: Np = 200, 391 iterations/epoch, dt = 2000, sf = 0.9 -> 39 events
    s = GMPSchedule(final_sparsity=0.9, prune_epochs=200, iters_per_epoch=391, interval=2000)
    assert s.events == 39
    for k, pct in [(1, 6.8), (10, 53.0), (20, 79.6), (30, 88.9), (39, 90.0)]:
        # the note rounds to one decimal; k = 1 is 6.747 %, which it gives as 6.8 (via 6.75)
        assert 100 * s.sparsity(k) == pytest.approx(pct, abs=0.06), k
    assert s.sparsity(1) == pytest.approx(0.9 * (1 - (38 / 39) ** 3))
    assert s.last_step == 78000


def test_event_steps():
    s = GMPSchedule(final_sparsity=0.5, prune_epochs=2, iters_per_epoch=10, interval=6)  # K = floor(20/6) = 3
    assert s.events == 3
    assert [st for st in range(0, 40) if s.event_at(st)] == [6, 12, 18]
    assert [s.event_at(st) for st in (6, 12, 18, 24)] == [1, 2, 3, None]


def test_initial_sparsity_and_clamping():
    assert cubic_sparsity(0, 4, 0.8, 0.2) == pytest.approx(0.2)
    assert cubic_sparsity(4, 4, 0.8, 0.2) == pytest.approx(0.8)
    assert cubic_sparsity(9, 4, 0.8) == pytest.approx(0.8)
    assert n_events(2.5, 391, 100) == 9


def test_invalid():
    with pytest.raises(ValueError):
        GMPSchedule(final_sparsity=0.9, prune_epochs=1, iters_per_epoch=10, interval=100)
    with pytest.raises(ValueError):
        GMPSchedule(final_sparsity=1.0, prune_epochs=1, iters_per_epoch=10, interval=1)
    with pytest.raises(ValueError):
        n_events(1, 10, 0)


@given(st.integers(1, 200), st.floats(0.0, 0.99))
def test_monotone_and_bounded(events, final):
    vals = [cubic_sparsity(k, events, final) for k in range(events + 1)]
    assert vals[0] == 0.0 and vals[-1] == pytest.approx(final)
    assert all(b >= a - 1e-12 for a, b in zip(vals, vals[1:], strict=False))
