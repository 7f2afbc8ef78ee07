"""Interval estimates for the benchmark: proportions, differences paired by task, aggregates over seeds.

Pure numpy/scipy; nothing here prints or formats beyond :meth:`Estimate.format`. Every estimate is an
:class:`Estimate` (``mean``, ``low``, ``high``, ``n``, ``method``), serialised by :meth:`Estimate.to_json`
with ``null`` for undefined numbers (``eqenvs.files.json_safe``), so that ``summary.json`` is strict JSON.

What to use where
-----------------
* Success at one orientation (K binary outcomes): :func:`proportion` -> Wilson score interval. A percentile
  bootstrap over a few binary outcomes collapses to zero width when they agree (8/8 -> [1, 1]); Wilson's
  0/8 is [0, 0.324].
* A continuous metric at one orientation (final error, return): :func:`mean_interval` -> Student t.
* Held-out minus slice, paired by task: :func:`paired_difference` with ``x[k]`` = task k's mean over the
  slice orientations and ``y[k]`` its mean over the held-out ones. Success (``binary=True``): Newcombe's
  hybrid score interval for paired proportions; continuous metrics: paired t. :func:`paired_test` gives the
  matching p-value (exact McNemar, else Wilcoxon signed rank).
* Several training seeds of one agent: :func:`aggregate_runs` -> interquartile mean, mean and median with
  stratified-bootstrap percentile intervals, as rliable reports them (Agarwal et al. 2021).

How many tasks
--------------
Wilson 95% interval width for an observed success rate of 0.5 (worst case) and for 0/n, measured with
:func:`interval_width`::

    tasks n      8      16     32     64     128
    p = 0.5    0.570  0.440  0.327  0.238  0.171
    p = 0      0.324  0.194  0.107  0.057  0.029

So 8 tasks cannot tell 0.5 from 0.25 or 0.75 (0.5 -> [0.22, 0.78]); 32 tasks resolve about +-0.16 and 64
about +-0.12. A paired difference of two splits is wider (up to about sqrt(2) times when the splits are
uncorrelated; for 32 tasks that agree on both splits Newcombe's interval is about +-0.06 to +-0.11). Pooling
orientations within a split does not shrink these: the unit of replication is the base task.

Known limits (measured in ``tests/test_stats.py``): Wilson's exact coverage is 0.943 / 0.930 / 0.943 at
p = 0.05 / 0.5 / 0.95 with 8 tasks (0.930: 8 outcomes are that coarse) and 0.980 / 0.950 / 0.980 with 32;
like every score interval it dips for true rates within about 0.2/n of 0 or 1 (minimum 0.84, at p = 0.022
for n = 8 and p = 0.0055 for n = 32; Brown, Cai & DasGupta 2001). Newcombe's paired interval covers
>= 0.944 in the tested scenarios (exact enumeration). Its extension to fractions is conservative (simulated
coverage about 1.00; about twice the width of a paired t interval with 4 orientations per split). The t
interval under-covers strongly skewed metrics at 8 tasks (lognormal: 0.83; exponential: 0.91).

References
----------
* E. B. Wilson (1927), Probable inference, the law of succession, and statistical inference. JASA 22:209-212.
* R. G. Newcombe (1998a), Two-sided confidence intervals for the single proportion: comparison of seven
  methods. Statistics in Medicine 17:857-872 (Table I: 81/263 -> 0.2553-0.3662).
* R. G. Newcombe (1998b), Improved confidence intervals for the difference between binomial proportions
  based on paired data. Statistics in Medicine 17:2635-2650 (method 10: Wilson limits of each margin
  combined with the correlation of the pairs). Its independent-samples counterpart is Newcombe (1998c),
  Statistics in Medicine 17:873-890, method 10.
* D. G. Altman, D. Machin, T. N. Bryant, M. J. Gardner (eds., 2000), Statistics with Confidence, 2nd ed.,
  BMJ Books (chapter on proportions by Newcombe & Altman): the paired interval with the corrected phi.
* M. W. Fagerland, S. Lydersen, P. Laake (2014), Recommended tests and confidence intervals for paired
  binomial proportions. Statistics in Medicine 33:2850-2875 (worked examples checked in the tests).
* L. D. Brown, T. T. Cai, A. DasGupta (2001), Interval estimation for a binomial proportion. Statistical
  Science 16:101-133.
* R. Agarwal, M. Schwarzer, P. S. Castro, A. Courville, M. G. Bellemare (2021), Deep reinforcement
  learning at the edge of the statistical precipice. NeurIPS; library ``rliable`` (``metrics.py``:
  ``aggregate_iqm`` = ``scipy.stats.trim_mean(scores, 0.25, axis=None)``, ``aggregate_median`` = median over
  tasks of the per-task mean; ``library.py``: ``StratifiedBootstrap``, percentile intervals).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

Statistic = Callable[[np.ndarray], "np.ndarray | float"]
"""An aggregate over a score matrix: ``(..., runs, tasks) -> (...)``, vectorised over leading axes."""

_BOOTSTRAP_CHUNK_VALUES = 4_000_000  # resampled values held at once while evaluating bootstrap statistics


# --------------------------------------------------------------------------- result types
@dataclass(frozen=True)
class Estimate:
    """A point estimate with a confidence interval: ``low <= mean <= high`` where defined, NaN where not."""

    mean: float  # the point estimate (a mean, a difference of means, an IQM, ...)
    low: float  # lower confidence limit
    high: float  # upper confidence limit
    n: int  # observations behind it (tasks, pairs of tasks, or runs x tasks)
    method: str  # how the interval was made, e.g. "wilson", "newcombe-paired", "student-t"

    @classmethod
    def undefined(cls, n: int, method: str, mean: float = math.nan) -> Estimate:
        """An estimate without an interval (no data, or too little for one)."""
        return cls(float(mean), math.nan, math.nan, int(n), method)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Estimate:
        """Inverse of :meth:`to_json` (``None`` becomes NaN)."""
        return cls(*(math.nan if data.get(k) is None else float(data[k]) for k in ("mean", "low", "high")),
                   n=int(data.get("n", 0)), method=str(data.get("method", "")))  # fmt: skip

    @property
    def width(self) -> float:
        """``high - low`` (NaN when undefined)."""
        return self.high - self.low

    def to_json(self) -> dict[str, Any]:
        """``{"mean", "low", "high", "n", "method"}`` with ``None`` for NaN/inf: strict JSON."""
        return {"mean": _finite_or_none(self.mean), "low": _finite_or_none(self.low),
                "high": _finite_or_none(self.high), "n": int(self.n), "method": self.method}  # fmt: skip

    def format(self, spec: str = ".2f") -> str:
        """``"0.75 [0.58, 0.87]"`` for tables; ``"n/a"`` without an estimate, ``"0.75 [n/a]"`` without bounds."""
        if not math.isfinite(self.mean):
            return "n/a"
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return f"{self.mean:{spec}} [n/a]"
        return f"{self.mean:{spec}} [{self.low:{spec}}, {self.high:{spec}}]"


@dataclass(frozen=True)
class PairedTest:
    """A two-sided p-value for "no difference between the paired samples"."""

    p_value: float  # NaN when there are no pairs
    n: int  # complete pairs
    method: str  # "mcnemar-exact" or "wilcoxon-signed-rank"

    def to_json(self) -> dict[str, Any]:
        """``{"p_value", "n", "method"}`` with ``None`` for NaN."""
        return {"p_value": _finite_or_none(self.p_value), "n": int(self.n), "method": self.method}


# --------------------------------------------------------------------------- one sample
def wilson(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """Wilson score interval for ``successes`` out of ``n`` (Wilson 1927; Newcombe 1998a, method 3).

    Never zero width for n > 0: 0/8 -> [0, 0.3244], 8/8 -> [0.6756, 1]. ``n = 0`` gives an undefined
    estimate (NaNs)."""
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise ValueError(f"n: expected a non-negative integer, got {n!r}")
    if isinstance(successes, bool) or int(successes) != successes or not 0 <= successes <= n:
        raise ValueError(f"successes: expected an integer in [0, n={n}], got {successes!r}")
    z = _z(confidence)
    if n == 0:
        return Estimate.undefined(0, "wilson")
    low, high = _wilson_bounds(np.float64(successes / n), int(n), z)
    return Estimate(successes / n, float(low), float(high), int(n), "wilson")


def proportion(values: ArrayLike, confidence: float = 0.95) -> Estimate:
    """Success rate of binary outcomes (0/1; NaN ignored) with its Wilson interval.

    Raises ``ValueError`` naming ``values`` if an entry is neither 0, 1 nor NaN."""
    arr = np.asarray(values, dtype=float).ravel()
    arr = arr[~np.isnan(arr)]
    bad = arr[(arr != 0) & (arr != 1)]
    if bad.size:
        raise ValueError(f"values: expected binary outcomes (0/1, NaN for missing), found {bad[0]!r}")
    return wilson(int(arr.sum()), int(arr.size), confidence)


def proportion_of_means(values: ArrayLike, confidence: float = 0.95) -> Estimate:
    """The mean of per-task success rates in [0, 1] (each a task's mean over several orientations; NaN
    ignored) with the Wilson interval at n = the number of tasks: the margins :func:`paired_difference` uses
    for fractions. Conservative: a mean of K fractions varies at most as much as K binary outcomes."""
    arr = np.asarray(values, dtype=float).ravel()
    arr = arr[~np.isnan(arr)]
    if arr.size and (arr.min() < 0.0 or arr.max() > 1.0):
        raise ValueError(f"values: expected success rates in [0, 1], found {arr.min()!r}..{arr.max()!r}")
    if arr.size == 0:
        return Estimate.undefined(0, "wilson-of-means")
    mean = float(arr.mean())
    low, high = _wilson_bounds(np.float64(mean), int(arr.size), _z(confidence))
    return Estimate(mean, float(low), float(high), int(arr.size), "wilson-of-means")


def mean_interval(values: ArrayLike, confidence: float = 0.95) -> Estimate:
    """Mean of the finite ``values`` with a Student t interval (for continuous metrics per orientation).

    Zero spread gives zero width (right for exactly tied data, e.g. an exactly equivariant agent); fewer
    than two finite values give the mean with NaN bounds."""
    finite = np.asarray(values, dtype=float).ravel()
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        _z(confidence)
        return Estimate.undefined(0, "student-t")
    mean, low, high = _t_bounds(finite[None, :], confidence)
    return Estimate(float(mean[0]), float(low[0]), float(high[0]), int(finite.size), "student-t")


def interval_width(n: int, p: float = 0.5, confidence: float = 0.95) -> float:
    """Width of the Wilson interval with ``n`` tasks at observed success rate ``p`` (for choosing ``n``)."""
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n: expected a positive integer, got {n!r}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p: expected a rate in [0, 1], got {p!r}")
    low, high = _wilson_bounds(np.float64(p), int(n), _z(confidence))
    return float(high - low)


# --------------------------------------------------------------------------- paired by task
def paired_difference(x: ArrayLike, y: ArrayLike, binary: bool, confidence: float = 0.95,
                      phi_correction: bool = True) -> Estimate:  # fmt: skip
    """Mean of ``y[k] - x[k]`` over tasks k with an interval that respects the pairing by task.

    ``binary=True``: each ``x[k]``, ``y[k]`` is in [0, 1], either a task's success (0/1) or its mean success
    over several orientations of one split. 0/1 data get Newcombe's hybrid score interval for a paired
    difference of proportions (Newcombe 1998b, method 10): Wilson limits ``l_i, u_i`` of each margin combined
    through the correlation ``phi`` of the pairs,

        low  = D - sqrt((p_y - l_y)^2 + (u_x - p_x)^2 - 2 phi (p_y - l_y)(u_x - p_x))
        high = D + sqrt((u_y - p_y)^2 + (p_x - l_x)^2 - 2 phi (u_y - p_y)(p_x - l_x))

    with ``phi = 0`` when a margin is constant. ``phi_correction`` (default, as in Newcombe & Altman 2000 and
    Fagerland et al. 2014) shrinks a positive ``phi`` by ``1 / (2 n sqrt(p_x q_x p_y q_y))`` (i.e. ``ad - bc``
    by n/2), floored at 0; without it, tasks that agree on both sides give ``phi = 1`` and a zero-width
    interval at p = 0.5. Fractions (not all 0/1) use the same formula with Wilson margins at n = K tasks and
    ``phi = cov(x, y) / sqrt(p_x q_x p_y q_y)`` (population covariance; equal to the phi coefficient for 0/1
    data). This extension is conservative: a mean of fractions in [0, 1] has variance at most ``p q / K``,
    which the Wilson margins assume, while the covariance term is estimated as it is (the Pearson
    correlation would over-credit it when one side varies less than a Bernoulli variable).

    ``binary=False``: a paired Student t interval on ``y - x`` (zero width when every pair is tied).

    Pairs with a NaN (or, for continuous metrics, any non-finite value) are dropped."""
    xs, ys = _pairs(x, y, binary)
    n = xs.size
    if binary:
        strict = bool(np.all((xs == 0) | (xs == 1)) and np.all((ys == 0) | (ys == 1)))
        method = "newcombe-paired" if strict else "newcombe-paired-fractional"
        if n == 0:
            return Estimate.undefined(0, method)
        mean, low, high = _newcombe_paired_bounds(xs[None, :], ys[None, :], _z(confidence), phi_correction)
        return Estimate(float(mean[0]), float(low[0]), float(high[0]), n, method)
    if n == 0:
        return Estimate.undefined(0, "paired-t")
    mean, low, high = _t_bounds((ys - xs)[None, :], confidence)
    return Estimate(float(mean[0]), float(low[0]), float(high[0]), n, "paired-t")


def paired_test(x: ArrayLike, y: ArrayLike, binary: bool) -> PairedTest:
    """Two-sided p-value for "no difference" between paired per-task scores ``x[k]``, ``y[k]``.

    Both strictly 0/1 (``binary=True``): exact McNemar test, a binomial test of the discordant pairs
    (``y=1, x=0`` against ``y=0, x=1``) at 1/2; no discordant pair gives p = 1. Otherwise (fractions or
    continuous metrics): Wilcoxon signed-rank test on ``y - x`` (``scipy.stats.wilcoxon``, zero differences
    dropped; all zero gives p = 1)."""
    xs, ys = _pairs(x, y, binary)
    n = xs.size
    if binary and np.all((xs == 0) | (xs == 1)) and np.all((ys == 0) | (ys == 1)):
        up, down = int(np.sum(ys > xs)), int(np.sum(ys < xs))
        p = 1.0 if up + down == 0 else float(stats.binomtest(up, up + down, 0.5).pvalue)
        return PairedTest(p, n, "mcnemar-exact")
    diffs = ys - xs
    if n == 0:
        return PairedTest(math.nan, 0, "wilcoxon-signed-rank")
    if np.all(diffs == 0):
        return PairedTest(1.0, n, "wilcoxon-signed-rank")
    p = float(stats.wilcoxon(diffs, zero_method="wilcox").pvalue)
    return PairedTest(min(p, 1.0), n, "wilcoxon-signed-rank")


# --------------------------------------------------------------------------- several runs (seeds)
def iqm(scores: ArrayLike) -> np.ndarray | float:
    """Interquartile mean of all run x task scores: the mean of the middle 50% (rliable's ``aggregate_iqm``,
    ``scipy.stats.trim_mean(scores, 0.25)`` on the flattened matrix). ``(..., runs, tasks) -> (...)``; a
    1-D input is one flat sample."""
    arr = np.asarray(scores, dtype=float)
    flat = arr.reshape(*arr.shape[:-2], -1) if arr.ndim >= 2 else arr
    return stats.trim_mean(flat, 0.25, axis=-1)


def aggregate_mean(scores: ArrayLike) -> np.ndarray | float:
    """Mean over tasks of the per-task mean over runs (rliable's ``aggregate_mean``). ``(..., runs, tasks)``."""
    return np.mean(np.mean(np.asarray(scores, dtype=float), axis=-2), axis=-1)


def aggregate_median(scores: ArrayLike) -> np.ndarray | float:
    """Median over tasks of the per-task mean over runs (rliable's ``aggregate_median``). ``(..., runs, tasks)``."""
    return np.median(np.mean(np.asarray(scores, dtype=float), axis=-2), axis=-1)


def stratified_bootstrap(scores: ArrayLike, statistic: Statistic = iqm, reps: int = 2000, seed: int = 0,
                         confidence: float = 0.95) -> Estimate:  # fmt: skip
    """``statistic`` of a ``(runs, tasks)`` score matrix with a stratified-bootstrap percentile interval.

    As rliable's ``StratifiedBootstrap``: each replicate resamples the runs with replacement independently
    within each task (tasks are strata, kept fixed), and the interval is the (alpha/2, 1 - alpha/2)
    percentiles of the replicates. Indices are one ``(reps, runs, tasks)`` draw from
    ``numpy.random.default_rng(seed)``: the same seed gives bit-identical results. The interval reflects
    run-to-run (seed) variability only; with a single run there is none to measure and the bounds are NaN.
    ``statistic`` must be vectorised: ``(..., runs, tasks) -> (...)``, like :func:`iqm`."""
    name = getattr(statistic, "__name__", "statistic").removeprefix("aggregate_")
    return _stratified_bootstrap(scores, {name: statistic}, reps, seed, confidence)[name]


def aggregate_runs(scores: ArrayLike, reps: int = 2000, seed: int = 0, confidence: float = 0.95) -> dict[str, Estimate]:
    """IQM, mean and median of a ``(runs, tasks)`` score matrix (runs = training seeds) with stratified
    bootstrap intervals, all from the same replicates (``"iqm"`` equals ``stratified_bootstrap(scores,
    iqm, reps, seed)``)."""
    return _stratified_bootstrap(scores, {"iqm": iqm, "mean": aggregate_mean, "median": aggregate_median}, reps,
                                 seed, confidence)  # fmt: skip


def two_way_bootstrap_mean(scores: ArrayLike, reps: int = 2000, seed: int = 0, confidence: float = 0.95) -> Estimate:
    """Mean of a ``(runs, tasks)`` matrix with a percentile interval from resampling runs *and* tasks.

    For proportions (success per task, pooled over orientations) across training seeds. The interquartile
    mean suits continuous scores with outliers, but when most tasks succeed it trims every failure away
    (the IQM of 120 ones and 8 zeros is 1, with a [1, 1] interval). Here the tasks are a random sample of
    start states, not fixed environments, so each replicate resamples the tasks (the same draw for every
    run: they are paired) and the runs, both with replacement; with one run it resamples the tasks only."""
    arr = np.asarray(scores, dtype=float)
    if arr.ndim != 2 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"scores: expected a non-empty finite (runs, tasks) matrix, got shape {arr.shape}")
    if isinstance(reps, bool) or int(reps) != reps or reps < 1:
        raise ValueError(f"reps: expected a positive integer, got {reps!r}")
    _z(confidence)
    runs, tasks = arr.shape
    rng = np.random.default_rng(seed)
    run_index = rng.integers(0, runs, size=(reps, runs, 1))
    task_index = rng.integers(0, tasks, size=(reps, 1, tasks))
    replicates = arr[run_index, task_index].mean(axis=(1, 2))
    alpha = 1.0 - confidence
    low, high = np.percentile(replicates, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return Estimate(float(arr.mean()), float(low), float(high), int(arr.size), "two-way-bootstrap-percentile:mean")


def across_seeds(
    seen: ArrayLike, heldout: ArrayLike, reps: int = 2000, seed: int = 0, confidence: float = 0.95
) -> dict[str, Estimate]:
    """Success of several training seeds on the same tasks: ``(runs, tasks)`` matrices of per-task success
    (each a fraction over a split's orientations) -> ``{"seen", "heldout", "gap"}``.

    Each point estimate is the mean over runs x tasks. Its interval is the union of two: the two-way
    bootstrap over runs and tasks (:func:`two_way_bootstrap_mean`: seed-to-seed and task-to-task
    variability) and the interval of one run made of the per-task means over seeds (Wilson at n = tasks,
    or Newcombe's paired interval for the gap): the bootstrap alone collapses to [1, 1] when every seed
    solves every task, where 32 tasks cannot rule out a success rate of 0.89."""
    seen, heldout = np.asarray(seen, dtype=float), np.asarray(heldout, dtype=float)
    if seen.shape != heldout.shape or seen.ndim != 2:
        raise ValueError(f"seen, heldout: expected two (runs, tasks) matrices of one shape, got {seen.shape}, "
                         f"{heldout.shape}")  # fmt: skip
    boot = {"seen": two_way_bootstrap_mean(seen, reps, seed, confidence),
            "heldout": two_way_bootstrap_mean(heldout, reps, seed, confidence),
            "gap": two_way_bootstrap_mean(heldout - seen, reps, seed, confidence)}  # fmt: skip
    by_task = {
        "seen": proportion_of_means(seen.mean(0), confidence),
        "heldout": proportion_of_means(heldout.mean(0), confidence),
        "gap": paired_difference(seen.mean(0), heldout.mean(0), binary=True, confidence=confidence),
    }
    return {key: Estimate(boot[key].mean, min(boot[key].low, by_task[key].low), max(boot[key].high, by_task[key].high),
                          boot[key].n, f"{boot[key].method} | {by_task[key].method}")
            for key in boot}  # fmt: skip


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------- vectorised kernels
# These work on a leading batch axis so the coverage tests can run thousands of experiments at once through
# the very code the public functions use.
def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence: expected a level in (0, 1), got {confidence!r}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _wilson_bounds(p: np.ndarray, n: int | np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson limits for observed rates ``p`` (fractions allowed) out of ``n``, elementwise."""
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * np.sqrt(np.maximum(p * (1 - p), 0.0) / n + z2 / (4 * n * n)) / denom
    low = np.where(p <= 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(p >= 1, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


def _newcombe_paired_bounds(x: np.ndarray, y: np.ndarray, z: float, phi_correction: bool = True
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Newcombe's paired interval for ``mean(y - x)`` per row of ``(experiments, K)`` arrays in [0, 1]."""
    k = x.shape[-1]
    p_x, p_y = x.mean(axis=-1), y.mean(axis=-1)  # (E,)
    low_x, high_x = _wilson_bounds(p_x, k, z)
    low_y, high_y = _wilson_bounds(p_y, k, z)
    cov = np.mean((x - p_x[:, None]) * (y - p_y[:, None]), axis=-1)  # population covariance, (E,)
    scale = np.sqrt(np.maximum(p_x * (1 - p_x) * p_y * (1 - p_y), 0.0))
    defined = scale > 0
    safe = np.where(defined, scale, 1.0)
    phi = np.where(defined, cov / safe, 0.0)
    if phi_correction:  # Newcombe: ad - bc -> max(ad - bc - n/2, 0) when positive
        phi = np.where(phi > 0, np.maximum(phi - 1.0 / (2 * k * safe), 0.0), phi)
    phi = np.clip(phi, -1.0, 1.0)
    diff = p_y - p_x
    down_y, up_x = p_y - low_y, high_x - p_x
    up_y, down_x = high_y - p_y, p_x - low_x
    low = diff - np.sqrt(np.maximum(down_y**2 + up_x**2 - 2 * phi * down_y * up_x, 0.0))
    high = diff + np.sqrt(np.maximum(up_y**2 + down_x**2 - 2 * phi * up_y * down_x, 0.0))
    return diff, np.clip(low, -1.0, 1.0), np.clip(high, -1.0, 1.0)


def _t_bounds(values: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Student t interval of the mean per row of ``(experiments, n)``; NaN bounds for n < 2."""
    _z(confidence)  # validates confidence
    n = values.shape[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = values.mean(axis=-1) if n else np.full(values.shape[0], math.nan)
        if n < 2:
            nan = np.full(values.shape[0], math.nan)
            return mean, nan, nan
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(axis=-1, ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half


def _pairs(x: ArrayLike, y: ArrayLike, binary: bool) -> tuple[np.ndarray, np.ndarray]:
    """Validated 1-D float arrays with the incomplete pairs dropped."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xs.ndim != 1:
        raise ValueError(f"x: expected a 1-D array of per-task scores, got shape {xs.shape}")
    if ys.shape != xs.shape:
        raise ValueError(f"y: expected the shape of x {xs.shape} (paired by task), got {ys.shape}")
    if binary:
        for name, arr in (("x", xs), ("y", ys)):
            bad = arr[~np.isnan(arr) & ~((arr >= 0) & (arr <= 1))]
            if bad.size:
                raise ValueError(f"{name}: expected success rates in [0, 1] (binary=True), found {bad[0]!r}")
        keep = ~(np.isnan(xs) | np.isnan(ys))
    else:
        keep = np.isfinite(xs) & np.isfinite(ys)
    return xs[keep], ys[keep]


def _stratified_bootstrap(scores: ArrayLike, statistics: Mapping[str, Statistic], reps: int, seed: int,
                          confidence: float) -> dict[str, Estimate]:  # fmt: skip
    arr = np.asarray(scores, dtype=float)
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"scores: expected a non-empty (runs, tasks) matrix, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("scores: expected finite values (drop or fill missing runs first)")
    if isinstance(reps, bool) or int(reps) != reps or reps < 1:
        raise ValueError(f"reps: expected a positive integer, got {reps!r}")
    _z(confidence)
    runs, tasks = arr.shape
    points = {name: float(f(arr)) for name, f in statistics.items()}
    method = "stratified-bootstrap-percentile"
    if runs < 2:
        return {name: Estimate.undefined(arr.size, f"{method}:{name}", point) for name, point in points.items()}
    rng = np.random.default_rng(seed)
    index = rng.integers(0, runs, size=(reps, runs, tasks), dtype=np.int32)  # (B, R, T): resample runs per task
    columns = np.arange(tasks)
    replicates = {name: np.empty(reps) for name in statistics}
    chunk = max(1, _BOOTSTRAP_CHUNK_VALUES // arr.size)
    for start in range(0, reps, chunk):
        resampled = arr[index[start : start + chunk], columns]  # (b, R, T)
        for name, f in statistics.items():
            replicates[name][start : start + chunk] = f(resampled)
    alpha = 1.0 - confidence
    out = {}
    for name, values in replicates.items():
        low, high = np.percentile(values, [100 * alpha / 2, 100 * (1 - alpha / 2)])
        out[name] = Estimate(points[name], float(low), float(high), int(arr.size), f"{method}:{name}")
    return out
