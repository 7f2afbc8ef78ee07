"""Verdicts that can come out each way: every comparison with a published figure follows a rule stated before
the figure is computed (its *band*), and a figure far from the published one *differs* rather than beats it.

=================  =========================================================================================
outcome            when
=================  =========================================================================================
reproduced         ours lies within the claim's band around the published figure (a factor stated per
                   claim), holds the published bound, or shows the published qualitative effect
better (xN)        only where the published quantity is defined as ours (``Published.same_definition``), ours
                   lies on its better side, outside the band but within ``BETTER_LIMIT`` of it
differs (xN)       outside the band in either direction otherwise: a figure 100x from the published one says
                   the baseline, the setting or the metric differs, not that we did better or worse
not reproduced     a bound or a qualitative effect that does not hold (xN: how far over the bound)
holds / fails      a claim of our own, not the paper's (labelled [ours]): it can fail too
=================  =========================================================================================

A non-finite figure (a diverged run) is never reproduced. ``tests/test_verdicts.py`` shows every rule
returning each of its outcomes on synthetic inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "BETTER_LIMIT",
    "SOURCE_ABSTRACT",
    "SOURCE_BODY",
    "Published",
    "Verdict",
    "bound",
    "in_range",
    "magnitude",
    "ours",
    "qualitative",
]

BETTER_LIMIT = 10.0
"""A figure more than this factor beyond the band is "differs", never "better"."""
SOURCE_ABSTRACT = "arXiv 2606.03003, abstract"
SOURCE_BODY = "arXiv 2606.03003, body (section not quoted to us)"


@dataclass(frozen=True)
class Published:
    """A published figure: its value (a number, or a (low, high) range), how the paper writes it, where it is
    quoted from, what we know of its definition, and whether that definition is ours."""

    value: float | tuple[float, float]
    quoted: str
    source: str
    definition: str
    same_definition: bool = False

    def cell(self) -> str:
        """The table's "published" cell: the figure and its source."""
        return f"{self.quoted} ({self.source}; definition: {self.definition})"


@dataclass(frozen=True)
class Verdict:
    """An outcome, the factor ours / published where one applies, and the rule that gave it."""

    outcome: str
    factor: float | None
    band: str

    def __str__(self) -> str:
        if self.factor is None or self.outcome in ("reproduced", "holds", "fails"):
            return self.outcome
        return f"{self.outcome} (x{_factor(self.factor)})"


def _factor(x: float) -> str:
    """A ratio for a verdict: 3 significant digits, powers of ten where large or small."""
    if not math.isfinite(x):
        return "inf"
    return f"{x:.3g}" if 1e-3 <= x < 1e4 else f"{x:.2e}".replace("e+0", "e").replace("e-0", "e-")


def magnitude(ours: float, published: Published, factor: float, better: str | None = None) -> Verdict:
    """Ours against a published number: reproduced within ``factor`` of it either way; "better" where the
    definition is the same, ours lies on the ``better`` side ("lower" or "higher") and within BETTER_LIMIT of
    the band; "differs" otherwise."""
    if factor <= 1 or better not in (None, "lower", "higher"):
        raise ValueError(f"factor, better: expected a factor > 1 and lower, higher or None, got {factor}, {better}")
    value = float(published.value)  # type: ignore[arg-type]
    can_be_better = better is not None and published.same_definition
    band = (f"reproduced within {factor:g}x of {published.quoted}"
            + (f"; better if {better} by up to {BETTER_LIMIT:g}x beyond" if can_be_better else "")
            + "; else differs")  # fmt: skip
    if not math.isfinite(ours):
        return Verdict("not reproduced", None, band)
    ratio = ours / value
    if 1 / factor <= ratio <= factor:
        return Verdict("reproduced", ratio, band)
    on_better_side = (ratio < 1) if better == "lower" else (ratio > 1)
    if can_be_better and on_better_side and 1 / (factor * BETTER_LIMIT) <= ratio <= factor * BETTER_LIMIT:
        return Verdict("better", ratio, band)
    return Verdict("differs", ratio, band)


def in_range(low: float, high: float, published: Published, factor: float) -> Verdict:
    """Our range [low, high] against a published range: reproduced if ours lies within ``factor`` of the
    published range's ends; differs otherwise (factor: our nearest end over the published range's)."""
    p_low, p_high = published.value  # type: ignore[misc]
    band = (f"reproduced if ours lies within [{p_low / factor:.3g}, {p_high * factor:.3g}] ({factor:g}x of "
            f"{published.quoted}); else differs")  # fmt: skip
    if not (math.isfinite(low) and math.isfinite(high)):
        return Verdict("not reproduced", None, band)
    if p_low / factor <= low and high <= p_high * factor:
        return Verdict("reproduced", None, band)
    ratio = high / p_high if high > p_high * factor else low / p_low
    return Verdict("differs", ratio, band)


def bound(ours: float, limit: float) -> Verdict:
    """A published bound ``<= limit``: reproduced if ours holds it; not reproduced (x ours / limit) if not."""
    band = f"reproduced if ours <= {limit:.3g}"
    if not math.isfinite(ours):
        return Verdict("not reproduced", None, band)
    return Verdict("reproduced", ours / limit, band) if ours <= limit else Verdict("not reproduced", ours / limit, band)


def qualitative(holds: bool, band: str) -> Verdict:
    """A published qualitative effect, tested by the rule ``band``: reproduced or not."""
    return Verdict("reproduced" if holds else "not reproduced", None, band)


def ours(holds: bool, band: str) -> Verdict:
    """A claim of our own, not the paper's, tested by the rule ``band``: holds or fails."""
    return Verdict("holds" if holds else "fails", None, band)
