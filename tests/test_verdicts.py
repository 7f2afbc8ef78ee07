"""Every verdict rule of the paper table can come out each way (synthetic inputs), and the paper's own rows use
them: a figure 100x from the published one differs, it never beats it."""

from __future__ import annotations

import math

import pytest

from agents.paper.verdicts import SOURCE_ABSTRACT, Published, bound, in_range, magnitude, ours, qualitative

UNKNOWN = Published(1e-2, "1e-2", SOURCE_ABSTRACT, "unknown")
SAME = Published(1e-2, "1e-2", SOURCE_ABSTRACT, "ours", same_definition=True)


def test_magnitude_reproduces_within_its_band_and_differs_outside_it_either_way():
    assert str(magnitude(1.5e-2, UNKNOWN, 3.0)) == "reproduced"
    assert str(magnitude(0.4e-2, UNKNOWN, 3.0)) == "reproduced"
    assert str(magnitude(1.81, UNKNOWN, 3.0, better="higher")) == "differs (x181)"  # far: never better
    assert str(magnitude(1e-4, UNKNOWN, 3.0, better="lower")) == "differs (x0.01)"  # unknown definition
    assert magnitude(math.nan, UNKNOWN, 3.0).outcome == "not reproduced"


def test_magnitude_is_better_only_under_the_same_definition_on_the_better_side_and_not_too_far():
    assert str(magnitude(1e-3, SAME, 3.0, better="lower")) == "better (x0.1)"
    assert magnitude(1e-3, SAME, 3.0, better="higher").outcome == "differs"  # the worse side
    assert magnitude(1e-3, SAME, 3.0).outcome == "differs"  # no better side stated
    assert magnitude(1e-6, SAME, 3.0, better="lower").outcome == "differs"  # 10^4x: another quantity
    assert "better if lower" in magnitude(1e-3, SAME, 3.0, better="lower").band
    with pytest.raises(ValueError, match="factor, better"):
        magnitude(1.0, SAME, 1.0)


def test_ranges_bounds_and_qualitative_claims_come_out_each_way():
    size = Published((4.5, 7.4), "4.5-7.4x", SOURCE_ABSTRACT, "unknown")
    assert in_range(7.8, 9.1, size, 1.5).outcome == "reproduced"
    assert str(in_range(7.8, 30.0, size, 1.5)) == "differs (x4.05)"
    assert str(in_range(1.0, 5.0, size, 1.5)) == "differs (x0.222)"
    assert in_range(math.nan, 5.0, size, 1.5).outcome == "not reproduced"
    assert str(bound(1.0e-7, 2.3e-7)) == "reproduced"
    assert str(bound(4.6e-6, 2.3e-7)) == "not reproduced (x20)"
    assert bound(math.inf, 2.3e-7).outcome == "not reproduced"
    assert str(qualitative(True, "rule")) == "reproduced" and str(qualitative(False, "rule")) == "not reproduced"
    assert str(ours(True, "rule")) == "holds" and str(ours(False, "rule")) == "fails"


def test_the_paper_table_compares_every_published_figure_by_a_stated_rule():
    from agents.paper import PUBLISHED

    for key, figure in PUBLISHED.items():
        assert figure.source.startswith("arXiv 2606.03003"), key
        assert figure.definition and figure.quoted, key
