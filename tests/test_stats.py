"""agents.stats: published values, coverage of the intervals (exact where the outcomes can be enumerated,
simulated where not), the failure of the percentile bootstrap they replace, rliable's aggregates, strict JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats as sps

from agents import stats
from eqenvs.files import json_safe

Z95 = float(sps.norm.ppf(0.975))


# --------------------------------------------------------------------------- helpers
def _paired_from_counts(a: int, b: int, c: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-task (x, y) for a paired 2x2 table: a both succeed, b only y, c only x, d neither; mean(y - x) =
    (b - c) / n. Fagerland et al. (2014) write tables as [[n11, n12], [n21, n22]] with p1+ - p+1 =
    (n12 - n21) / N, so their table is (a, b, c, d) = (n11, n12, n21, n22)."""
    y = np.array([1] * a + [1] * b + [0] * c + [0] * d, float)
    x = np.array([1] * a + [0] * b + [1] * c + [0] * d, float)
    return x, y


def _all_tables(k: int) -> np.ndarray:
    """Every paired 2x2 table (a, b, c, d) with a + b + c + d = k, shape (tables, 4)."""
    return np.array([(a, b, c, k - a - b - c) for a in range(k + 1) for b in range(k + 1 - a)
                     for c in range(k + 1 - a - b)])  # fmt: skip


def _tables_as_tasks(tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) arrays of shape (tables, K), vectorised ``_paired_from_counts``."""
    k = int(tables[0].sum())
    task = np.arange(k)[None, :]
    a, b, c = tables[:, 0:1], tables[:, 1:2], tables[:, 2:3]
    y = (task < a + b).astype(float)
    x = ((task < a) | ((task >= a + b) & (task < a + b + c))).astype(float)
    return x, y


def _newcombe_from_counts(a: int, b: int, c: int, d: int, corrected: bool) -> tuple[float, float]:
    """Independent, scalar transcription of Newcombe (1998b) method 10 from the cell counts, as printed in
    Fagerland et al. (2014) section 6: Wilson limits of each margin, phi from ad - bc."""
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n  # y's rate, x's rate

    def wilson_limits(p: float) -> tuple[float, float]:
        centre, half = p + Z95**2 / (2 * n), Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
        return (centre - half) / (1 + Z95**2 / n), (centre + half) / (1 + Z95**2 / n)

    (l1, u1), (l2, u2) = wilson_limits(p1), wilson_limits(p2)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    cross = a * d - b * c
    if corrected and cross > 0:
        cross = max(cross - n / 2, 0)
    phi = 0.0 if margins == 0 else cross / math.sqrt(margins)
    diff = p1 - p2
    low = diff - math.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
    high = diff + math.sqrt((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2)
    return low, high


# --------------------------------------------------------------------------- single proportion
def test_wilson_zero_of_eight_is_not_zero_width():
    est = stats.wilson(0, 8)
    assert (est.mean, est.low, round(est.high, 4)) == (0.0, 0.0, 0.3244)
    assert est.n == 8 and est.method == "wilson"
    assert stats.proportion(np.zeros(8)) == est


def test_wilson_is_symmetric_under_swapping_success_and_failure():
    full = stats.wilson(8, 8)
    assert full.high == 1.0 and full.low == pytest.approx(1 - 0.32440756, abs=1e-8)
    for k in range(9):
        est, mirror = stats.wilson(k, 8), stats.wilson(8 - k, 8)
        assert est.low == pytest.approx(1 - mirror.high, abs=1e-12)
        assert est.high == pytest.approx(1 - mirror.low, abs=1e-12)


@pytest.mark.parametrize(("k", "n", "low", "high"), [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605),
                                                     (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)])  # fmt: skip
def test_wilson_matches_newcombe_1998a_table(k, n, low, high):
    """Newcombe (1998a), Statistics in Medicine 17:857-872, Table I, score method without correction."""
    est = stats.wilson(k, n)
    assert (round(est.low, 4), round(est.high, 4)) == (low, high)


def test_wilson_arguments_and_empty_sample():
    empty = stats.wilson(0, 0)
    assert math.isnan(empty.mean) and math.isnan(empty.low) and empty.n == 0
    with pytest.raises(ValueError, match="successes"):
        stats.wilson(9, 8)
    with pytest.raises(ValueError, match="n:"):
        stats.wilson(0, -1)
    with pytest.raises(ValueError, match="confidence"):
        stats.wilson(1, 8, confidence=95)


def test_proportion_ignores_nan_and_rejects_non_binary_values():
    est = stats.proportion([1, 0, np.nan, 1])
    assert (est.mean, est.n) == (pytest.approx(2 / 3), 3)
    assert est == stats.wilson(2, 3)
    with pytest.raises(ValueError, match=r"values: .*0\.5"):
        stats.proportion([1, 0.5])
    with pytest.raises(ValueError, match="values"):
        stats.proportion([1, np.inf])


def test_interval_width_at_the_documented_task_counts():
    widths = [round(stats.interval_width(n), 3) for n in (8, 16, 32, 64, 128)]
    assert widths == [0.570, 0.440, 0.327, 0.238, 0.171]
    assert [round(stats.interval_width(n, p=0.0), 3) for n in (8, 16, 32, 64, 128)] == [0.324, 0.194, 0.107,
                                                                                      0.057, 0.029]  # fmt: skip
    for n in (8, 16, 32, 64, 128):  # the module docstring states these figures
        assert f"{stats.interval_width(n):.3f}" in stats.__doc__


def test_mean_interval_is_a_student_t_interval():
    est = stats.mean_interval([1.0, 2.0, 3.0, 4.0, np.nan])
    half = sps.t.ppf(0.975, 3) * np.std([1, 2, 3, 4], ddof=1) / 2
    assert (est.mean, est.n, est.method) == (2.5, 4, "student-t")
    assert (est.low, est.high) == pytest.approx((2.5 - half, 2.5 + half), abs=1e-12)
    assert round(half, 4) == 2.0543
    tied = stats.mean_interval([3.0] * 5)
    assert (tied.low, tied.mean, tied.high) == (3.0, 3.0, 3.0)
    single = stats.mean_interval([7.0])
    assert single.mean == 7.0 and math.isnan(single.low) and single.format() == "7.00 [n/a]"
    assert stats.mean_interval([np.nan]).format() == "n/a"


# --------------------------------------------------------------------------- paired by task
@pytest.mark.parametrize(("table", "corrected", "low", "high"), [
    ((1, 1, 7, 12), True, -0.5069, -0.0256),   # Bentur et al. 2009 (Fagerland et al. 2014), Newcombe + phi*
    ((1, 1, 7, 12), False, -0.5017, -0.0361),  # same data, uncorrected phi (ratesci "MOVER-W")
    ((59, 6, 16, 80), True, -0.1186, -0.0046),  # Cavo et al. 2012 (Fagerland et al. 2014)
])  # fmt: skip
def test_newcombe_paired_matches_published_examples(table, corrected, low, high):
    """Fagerland, Lydersen & Laake (2014), Statistics in Medicine 33:2850-2875, worked examples; the same
    figures are asserted by the R packages contingencytables (tests/testthat/test-ch8.R) and ratesci
    (vignette "Paired contrasts")."""
    x, y = _paired_from_counts(*table)
    est = stats.paired_difference(x, y, binary=True, phi_correction=corrected)
    _, only_y, only_x, _ = table
    assert est.mean == pytest.approx((only_y - only_x) / sum(table), abs=1e-15)
    assert (round(est.low, 4), round(est.high, 4)) == (low, high)
    assert (est.n, est.method) == (sum(table), "newcombe-paired")


def test_newcombe_agrees_with_a_scalar_transcription_from_the_counts():
    rng = np.random.default_rng(3)
    tables = [tuple(rng.multinomial(n, rng.dirichlet(np.ones(4)))) for n in (5, 8, 13, 32, 64) for _ in range(40)]
    tables += [(8, 0, 0, 0), (0, 0, 0, 8), (4, 0, 0, 4), (0, 4, 4, 0), (0, 8, 0, 0)]
    for table in tables:
        x, y = _paired_from_counts(*table)
        for corrected in (True, False):
            est = stats.paired_difference(x, y, binary=True, phi_correction=corrected)
            assert (est.low, est.high) == pytest.approx(_newcombe_from_counts(*table, corrected), abs=1e-12), table


def test_identical_tasks_give_a_nonzero_binary_interval_and_a_zero_width_continuous_one():
    none = np.zeros(32)
    est = stats.paired_difference(none, none, binary=True)
    assert est.mean == 0.0 and -est.low == est.high == pytest.approx(stats.wilson(0, 32).high)
    assert round(est.high, 3) == 0.107
    half = np.r_[np.ones(16), np.zeros(16)]  # every task agrees across splits, half of them succeed
    mixed = stats.paired_difference(half, half, binary=True)
    assert mixed.low < -0.05 and mixed.high > 0.05
    # without Newcombe's correction phi = 1 and the interval collapses: why the correction is the default
    collapsed = stats.paired_difference(half, half, binary=True, phi_correction=False)
    assert collapsed.width == pytest.approx(0.0, abs=1e-12)
    errors = np.linspace(1.0, 9.0, 32)
    tied = stats.paired_difference(errors, errors, binary=False)
    assert (tied.low, tied.mean, tied.high, tied.method) == (0.0, 0.0, 0.0, "paired-t")


def test_paired_difference_fractions_and_continuous_metrics():
    x = np.array([0.25, 0.5, 1.0, 0.75, 0.0, 0.5, np.nan, 1.0])
    y = np.array([0.0, 0.25, 0.75, 0.75, 0.0, 0.25, 1.0, 0.5])
    est = stats.paired_difference(x, y, binary=True)
    assert est.method == "newcombe-paired-fractional" and est.n == 7
    keep = [0, 1, 2, 3, 4, 5, 7]  # the pair with a NaN is dropped
    assert est.mean == pytest.approx(np.mean(y[keep] - x[keep]))
    assert est.low < est.mean < est.high
    cont = stats.paired_difference([1.0, 2.0, 4.0], [2.0, 2.5, 5.0], binary=False)
    d = np.array([1.0, 0.5, 1.0])
    half = sps.t.ppf(0.975, 2) * d.std(ddof=1) / math.sqrt(3)
    assert (cont.low, cont.high) == pytest.approx((d.mean() - half, d.mean() + half), abs=1e-12)
    with pytest.raises(ValueError, match=r"x: .*1\.5"):
        stats.paired_difference([1.5, 0.0], [1.0, 0.0], binary=True)
    with pytest.raises(ValueError, match=r"y: .*shape"):
        stats.paired_difference([1.0, 0.0], [1.0, 0.0, 1.0], binary=True)
    assert math.isnan(stats.paired_difference([np.nan], [1.0], binary=True).mean)


def test_paired_test_exact_mcnemar_and_wilcoxon():
    bentur = stats.paired_test(*_paired_from_counts(1, 1, 7, 12), binary=True)
    assert bentur.method == "mcnemar-exact" and bentur.p_value == pytest.approx(2 * 9 / 256)  # 1 vs 7 discordant
    assert round(stats.paired_test(*_paired_from_counts(59, 6, 16, 80), binary=True).p_value, 4) == 0.0525
    assert stats.paired_test(np.ones(8), np.ones(8), binary=True).p_value == 1.0
    x = np.array([0.25, 0.5, 1.0, 0.75, 0.0, 0.5, 0.75, 1.0])
    y = x - np.array([0.25, 0.25, 0.5, 0.0, 0.0, 0.25, 0.5, 0.25])
    test = stats.paired_test(x, y, binary=True)
    assert test.method == "wilcoxon-signed-rank"
    assert test.p_value == pytest.approx(sps.wilcoxon(y - x, zero_method="wilcox").pvalue)
    assert stats.paired_test(x, x, binary=False).p_value == 1.0
    assert json.dumps(stats.paired_test([np.nan], [np.nan], binary=False).to_json(), allow_nan=False)


# --------------------------------------------------------------------------- coverage
@pytest.mark.parametrize("k", [8, 32])
@pytest.mark.parametrize("p", [0.05, 0.5, 0.95])
def test_wilson_coverage_exact(k, p):
    """Exact coverage (summed over the k + 1 outcomes): 8 tasks -> 0.943 / 0.930 / 0.943, 32 -> 0.980 / 0.950 /
    0.980. At K = 8, p = 0.5 the discreteness of 8 outcomes caps it at 0.930 (excluding 1/8 and 7/8 costs
    0.070); no interval that stays narrower than 1/8..7/8 can do better."""
    successes = np.arange(k + 1)
    low, high = stats._wilson_bounds(successes / k, k, Z95)
    coverage = sps.binom.pmf(successes, k, p)[(low <= p) & (p <= high)].sum()
    assert coverage >= 0.929


def test_percentile_bootstrap_collapses_where_wilson_holds():
    """The interval the benchmark used (percentile bootstrap of the mean, 2000 resamples) at K = 8 tasks and a
    true success rate of 0.95: 8/8 happens 66% of the time and gives [1, 1], so it covers 0.95 about a third
    of the time; Wilson covers it 94% of the time."""
    k, p, reps = 8, 0.95, 2000
    rng = np.random.default_rng(0)
    covered_boot, covered_wilson = 0.0, 0.0
    for successes in range(k + 1):
        sample = np.r_[np.ones(successes), np.zeros(k - successes)]
        means = sample[rng.integers(0, k, size=(reps, k))].mean(axis=1)
        low, high = np.percentile(means, [2.5, 97.5])
        weight = sps.binom.pmf(successes, k, p)
        covered_boot += weight * (low <= p <= high)
        est = stats.wilson(successes, k)
        covered_wilson += weight * (est.low <= p <= est.high)
        if successes == k:
            assert low == high == 1.0  # "1.00 [1.00, 1.00]"
    assert covered_boot < 0.5
    assert covered_wilson >= 0.94


# (p_x, p_y, correlation of the pair)
PAIRED_SCENARIOS = [(0.5, 0.5, 0.5), (0.6, 0.4, 0.3), (0.9, 0.7, 0.3), (0.95, 0.95, 0.5), (0.05, 0.05, 0.3),
                    (0.05, 0.2, 0.2), (0.5, 0.5, 0.0), (0.95, 0.85, 0.5), (0.7, 0.5, 0.6)]  # fmt: skip


@pytest.mark.parametrize("k", [8, 32])
def test_newcombe_paired_coverage_exact(k):
    """Exact coverage over every paired table of K tasks (165 at K = 8, 6545 at K = 32). Measured minimum over
    these scenarios: 0.944 (K = 8), 0.950 (K = 32). Without the phi correction it drops to 0.87 (K = 8)."""
    tables = _all_tables(k)
    x, y = _tables_as_tasks(tables)
    coverage = {}
    for corrected in (True, False):
        _, low, high = stats._newcombe_paired_bounds(x, y, Z95, corrected)
        for p_x, p_y, rho in PAIRED_SCENARIOS:
            p11 = p_x * p_y + rho * math.sqrt(p_x * (1 - p_x) * p_y * (1 - p_y))
            pmf = sps.multinomial.pmf(tables, k, [p11, p_y - p11, p_x - p11, 1 - p_x - p_y + p11])
            diff = p_y - p_x
            coverage[corrected, p_x, p_y, rho] = pmf[(low <= diff + 1e-12) & (diff - 1e-12 <= high)].sum()
    corrected_min = min(v for key, v in coverage.items() if key[0])
    assert corrected_min >= 0.94, coverage
    if k == 8:
        assert min(v for key, v in coverage.items() if not key[0]) < 0.9  # the uncorrected phi under-covers


@pytest.mark.parametrize("k", [8, 32])
def test_fractional_paired_coverage_simulated(k):
    """Held-out minus slice with 4 orientations per split: task k succeeds at each slice orientation with
    probability p_k ~ Beta(a, b) and at each held-out one with c * p_k; x[k], y[k] are the split means. 2000
    simulated experiments per scenario. The Newcombe extension (Wilson margins at n = K) over-covers (about
    1.00): pooled fractions vary less than Bernoulli outcomes; the paired t interval on the same data is
    about nominal (0.92-0.98) and about half as wide."""
    rng = np.random.default_rng(11)
    experiments, orientations = 2000, 4
    for a, b, c in [(2, 2, 0.6), (8, 1, 0.9), (1, 12, 1.0), (0.5, 0.5, 0.5), (20, 2, 0.95)]:
        p = rng.beta(a, b, size=(experiments, k))
        x = (rng.random((experiments, k, orientations)) < p[..., None]).mean(-1)
        y = (rng.random((experiments, k, orientations)) < (c * p)[..., None]).mean(-1)
        diff = (c - 1) * a / (a + b)
        _, low, high = stats._newcombe_paired_bounds(x, y, Z95)
        assert np.mean((low <= diff) & (diff <= high)) >= 0.93, (a, b, c)
        _, t_low, t_high = stats._t_bounds(y - x, 0.95)
        assert np.mean((t_low <= diff) & (diff <= t_high)) >= 0.9, (a, b, c)


def test_paired_t_coverage_simulated():
    rng = np.random.default_rng(5)
    for k in (8, 32):
        diffs = rng.normal(1.0, 2.0, size=(2000, k))
        _, low, high = stats._t_bounds(diffs, 0.95)
        assert np.mean((low <= 1.0) & (high >= 1.0)) >= 0.93


# --------------------------------------------------------------------------- runs (seeds)
def test_iqm_is_scipy_trim_mean_of_all_scores():
    rng = np.random.default_rng(0)
    scores = rng.gamma(2.0, size=(5, 7))
    assert stats.iqm(scores) == sps.trim_mean(scores.ravel(), 0.25)
    assert stats.iqm(np.arange(8.0)) == pytest.approx(3.5)  # middle four of 0..7
    assert stats.iqm(np.array([[0.0, 1, 2, 3], [4, 5, 6, 100]])) == pytest.approx(3.5)  # the outlier is trimmed
    batch = rng.random((3, 4, 6))
    assert np.array_equal(stats.iqm(batch), [sps.trim_mean(m.ravel(), 0.25) for m in batch])
    assert stats.aggregate_median(scores) == np.median(scores.mean(axis=0))


def _reference_stratified_bootstrap(scores, statistic, reps, seed):
    """Replicate by replicate, task by task, from the same draw of indices."""
    runs, tasks = scores.shape
    index = np.random.default_rng(seed).integers(0, runs, size=(reps, runs, tasks), dtype=np.int32)
    values = np.empty(reps)
    for rep in range(reps):
        resampled = np.empty((runs, tasks))
        for task in range(tasks):
            resampled[:, task] = scores[index[rep, :, task], task]  # runs drawn within this task only
        values[rep] = statistic(resampled)
    return np.percentile(values, [2.5, 97.5])


def test_stratified_bootstrap_matches_a_reference_loop_bit_for_bit():
    rng = np.random.default_rng(1)
    scores = rng.random((3, 5))
    for statistic in (stats.iqm, stats.aggregate_mean, stats.aggregate_median):
        est = stats.stratified_bootstrap(scores, statistic, reps=300, seed=7)
        low, high = _reference_stratified_bootstrap(scores, statistic, 300, 7)
        assert (est.low, est.high) == (low, high)
        assert est.mean == statistic(scores) and est.n == 15
    again = stats.stratified_bootstrap(scores, stats.iqm, reps=300, seed=7)
    assert again == stats.stratified_bootstrap(scores, stats.iqm, reps=300, seed=7)
    assert again.method == "stratified-bootstrap-percentile:iqm"
    assert stats.stratified_bootstrap(scores, stats.iqm, reps=300, seed=8) != again


def test_stratified_bootstrap_keeps_tasks_as_strata():
    """A task whose runs agree contributes no spread: with every task constant across runs the interval has
    zero width, however different the tasks are (an unstratified bootstrap would mix tasks)."""
    scores = np.tile(np.array([0.0, 0.2, 0.9, 1.0]), (5, 1))
    est = stats.stratified_bootstrap(scores, stats.aggregate_mean, reps=200)
    assert est.low == est.high == pytest.approx(0.525)


def test_aggregate_runs_shares_replicates_and_needs_two_runs():
    rng = np.random.default_rng(2)
    scores = rng.random((4, 16))
    agg = stats.aggregate_runs(scores, reps=500, seed=3)
    assert set(agg) == {"iqm", "mean", "median"}
    assert agg["iqm"] == stats.stratified_bootstrap(scores, stats.iqm, reps=500, seed=3)
    for est in agg.values():
        assert est.low <= est.mean <= est.high and est.width > 0
    single = stats.aggregate_runs(scores[:1])
    assert single["mean"].mean == pytest.approx(scores[0].mean()) and math.isnan(single["mean"].low)
    with pytest.raises(ValueError, match="scores"):
        stats.aggregate_runs(np.array([[1.0, np.nan]]))


def test_stratified_bootstrap_works_in_chunks(monkeypatch):
    scores = np.random.default_rng(4).random((3, 7))
    whole = stats.stratified_bootstrap(scores, reps=250, seed=1)
    monkeypatch.setattr(stats, "_BOOTSTRAP_CHUNK_VALUES", 50)  # 2 replicates per chunk
    assert stats.stratified_bootstrap(scores, reps=250, seed=1) == whole


# --------------------------------------------------------------------------- JSON and formatting
def test_estimate_json_and_format():
    est = stats.Estimate(0.75, 0.5812, 0.8731, 32, "wilson")
    assert est.format() == "0.75 [0.58, 0.87]" and est.format(".3f") == "0.750 [0.581, 0.873]"
    assert est.to_json() == {"mean": 0.75, "low": 0.5812, "high": 0.8731, "n": 32, "method": "wilson"}
    assert stats.Estimate.from_json(est.to_json()) == est
    undefined = stats.Estimate.undefined(0, "wilson")
    assert undefined.format() == "n/a"
    assert undefined.to_json() == {"mean": None, "low": None, "high": None, "n": 0, "method": "wilson"}
    back = stats.Estimate.from_json(undefined.to_json())
    assert math.isnan(back.mean) and back.n == 0


def test_json_safe_makes_strict_json():
    """eqenvs.files.json_safe (what every JSON writer uses) turns the statistics into strict JSON."""
    summary = {
        "schema_version": 2,
        "nan": math.nan, "inf": np.float32(np.inf), "count": np.int64(3), "flag": np.bool_(True),
        "array": np.array([1.0, np.nan, -np.inf]), "nested": [(np.float64(0.5), {np.int64(2): math.inf})],
        "estimate": stats.wilson(0, 8), "test": stats.PairedTest(math.nan, 0, "mcnemar-exact"),
    }  # fmt: skip
    with pytest.raises(ValueError):
        json.dumps(summary, allow_nan=False, default=str)
    text = json.dumps(json_safe(summary), allow_nan=False)
    back = json.loads(text)
    assert back["schema_version"] == 2 and back["nan"] is None and back["inf"] is None
    assert back["count"] == 3 and back["flag"] is True and back["array"] == [1.0, None, None]
    assert back["nested"] == [[0.5, {"2": None}]]
    assert back["estimate"] == {"mean": 0.0, "low": 0.0, "high": pytest.approx(0.3244, abs=1e-4), "n": 8,
                                "method": "wilson"}  # fmt: skip
    assert back["test"] == {"p_value": None, "n": 0, "method": "mcnemar-exact"}
    assert type(json_safe(np.float64(1.5))) is float


def test_two_way_bootstrap_mean_keeps_failures_that_an_iqm_trims():
    """Issue 10's compare: 4 seeds x 32 tasks, 120 successes and 8 failures. The IQM is 1 with a [1, 1]
    interval; the mean is 0.9375 and resampling runs and tasks gives an interval of width > 0.05 around it."""
    scores = np.ones((4, 32))
    scores[0, :5] = 0.0
    scores[2, 10:13] = 0.0
    assert stats.iqm(scores) == 1.0
    estimate = stats.two_way_bootstrap_mean(scores, reps=4000, seed=1)
    assert estimate.mean == 120 / 128 and estimate.low < 0.91 and estimate.high > 0.96
    assert estimate.method == "two-way-bootstrap-percentile:mean"
    again = stats.two_way_bootstrap_mean(scores, reps=4000, seed=1)
    assert (again.low, again.high) == (estimate.low, estimate.high)  # same seed, same interval
    one_run = stats.two_way_bootstrap_mean(scores[:1], reps=4000)  # tasks only: an interval for one seed too
    assert one_run.low < one_run.mean == 27 / 32 < one_run.high
    with pytest.raises(ValueError, match="scores: expected a non-empty finite"):
        stats.two_way_bootstrap_mean(np.ones(3))


def test_across_seeds_never_collapses_when_every_seed_solves_every_task():
    ones = np.ones((3, 32))
    result = stats.across_seeds(ones, ones)
    assert result["seen"].mean == 1.0 and result["seen"].high == 1.0
    assert result["seen"].low == pytest.approx(stats.wilson(32, 32).low)  # 0.89, not 1
    assert result["gap"].low < 0.0 < result["gap"].high
    held = ones.copy()
    held[:, :16] = 0.0  # every seed fails half the tasks held out
    result = stats.across_seeds(ones, held)
    assert result["gap"].mean == -0.5 and result["gap"].high < -0.3
