"""The time budget taken from the Lambda context."""

import pytest

from cord_sync.http import Deadline
from lambda_runtime import LambdaContext


@pytest.mark.parametrize(("timeout", "low", "high"), [(60, 56.5, 57.0), (3, 2.6, 2.7), (0, -0.1, 0.0)])
def test_budget_keeps_a_reserve_that_never_eats_a_short_timeout(timeout, low, high):
    remaining = Deadline.from_lambda_context(LambdaContext(timeout_seconds=timeout)).remaining()
    assert low <= remaining <= high


def test_no_context_means_no_deadline():
    assert Deadline.from_lambda_context(None).remaining() is None
    assert Deadline.from_lambda_context(object()).remaining() is None
