"""evaluation.reference: the published results a report can be drawn against."""

from __future__ import annotations

import pytest

from evaluation.reference import ReferenceFileError, load_reference, reference_names


def test_the_study_is_a_reference():
    assert "study" in reference_names()
    assert all(0 <= r.accuracy <= 1 for r in load_reference("study"))


def test_an_unknown_reference_is_a_clear_value_error():
    with pytest.raises(ReferenceFileError, match=r"unknown reference 'nope'; known: .*study") as err:
        load_reference("nope")
    assert isinstance(err.value, ValueError) and not issubclass(ReferenceFileError, ReferenceError)
