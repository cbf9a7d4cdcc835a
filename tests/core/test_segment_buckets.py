"""Percentage rollout: a stable hash over 10,000 buckets, monotonic in the percentage, close to
the percentage on many ids, independent between salts, and a function of the user alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handyman_core.segment_buckets import PercentageChange, bucket, in_rollout, rollout_since
from handyman_core.segments import BUCKETS, Percentage
from tests.core.segment_strategies import T0, percentages, salts, user_ids

SAMPLE = 100_000
FEW_EXAMPLES = settings(max_examples=12, deadline=None)


@pytest.mark.parametrize(
    ("salt", "user_id", "expected"),
    [
        ("a1b2c3d4e5f60718", 1, 7884),
        ("a1b2c3d4e5f60718", 42, 6161),
        ("BETA", 7, 5470),
        ("0", 2**63 - 1, 5605),
    ],
)
def test_the_bucket_is_sha256_of_salt_colon_id_first_8_bytes_mod_10000(
    salt: str, user_id: int, expected: int
) -> None:
    """Pinned values computed with `printf 'salt:id' | sha256sum` and bc: changing the hash
    would silently move every user of every rollout."""
    assert bucket(salt, user_id) == expected


@given(salt=salts, user_id=user_ids)
def test_a_bucket_is_one_of_10000(salt: str, user_id: int) -> None:
    assert 0 <= bucket(salt, user_id) < BUCKETS


@given(salt=salts, user_id=user_ids, low=percentages, high=percentages)
def test_raising_the_percentage_only_adds_users(
    salt: str, user_id: int, low: Percentage, high: Percentage
) -> None:
    low, high = min(low, high), max(low, high)
    if in_rollout(salt, user_id, low):
        assert in_rollout(salt, user_id, high)


@given(salt=salts, user_id=user_ids)
def test_nobody_is_in_at_0_and_everybody_at_100(salt: str, user_id: int) -> None:
    assert not in_rollout(salt, user_id, Percentage(0))
    assert in_rollout(salt, user_id, Percentage(BUCKETS))


def sample_buckets(salt: str, first_id: int) -> list[int]:
    return [bucket(salt, user_id) for user_id in range(first_id, first_id + SAMPLE)]


@FEW_EXAMPLES
@given(
    salt=salts,
    first_id=st.integers(min_value=1, max_value=10**12),
    checked=st.lists(percentages, min_size=1, max_size=8),
)
def test_a_rollout_holds_its_percentage_within_one_point_on_100000_ids(
    salt: str, first_id: int, checked: list[Percentage]
) -> None:
    buckets = sample_buckets(salt, first_id)
    for percentage in checked:
        inside = sum(1 for value in buckets if value < percentage.hundredths)
        assert abs(inside / SAMPLE - percentage.hundredths / BUCKETS) <= 0.01


@FEW_EXAMPLES
@given(
    salts_drawn=st.lists(salts, min_size=2, max_size=2, unique=True),
    first_id=st.integers(min_value=1, max_value=10**12),
    first=percentages,
    second=percentages,
)
def test_two_salts_choose_independently(
    salts_drawn: list[str], first_id: int, first: Percentage, second: Percentage
) -> None:
    """Being in one rollout says nothing about being in another: the share in both is the
    product of the shares, within one point on 100,000 ids."""
    one, other = (sample_buckets(salt, first_id) for salt in salts_drawn)
    both = sum(
        1 for a, b in zip(one, other, strict=True) if a < first.hundredths and b < second.hundredths
    )
    expected = (first.hundredths / BUCKETS) * (second.hundredths / BUCKETS)
    assert abs(both / SAMPLE - expected) <= 0.01


@given(
    salt=salts,
    user_id=user_ids,
    percentage=percentages,
    others=st.lists(user_ids, max_size=20),
)
def test_a_users_membership_does_not_depend_on_other_users(
    salt: str, user_id: int, percentage: Percentage, others: list[int]
) -> None:
    alone = in_rollout(salt, user_id, percentage)
    among = {other: in_rollout(salt, other, percentage) for other in [*others, user_id]}
    assert among[user_id] == alone


change_lists = st.lists(
    st.builds(
        PercentageChange,
        at=st.integers(min_value=0, max_value=10**6).map(lambda s: T0 + timedelta(seconds=s)),
        percentage=percentages,
    ),
    max_size=8,
)


@given(changes=change_lists, user_bucket=st.integers(min_value=0, max_value=BUCKETS - 1))
def test_rollout_since_is_the_start_of_the_current_coverage(
    changes: list[PercentageChange], user_bucket: int
) -> None:
    ordered = sorted(changes, key=lambda change: change.at)
    since = rollout_since(changes, user_bucket)
    covers = [user_bucket < change.percentage.hundredths for change in ordered]
    if not covers or not covers[-1]:
        assert since is None
        return
    start = len(covers) - 1
    while start > 0 and covers[start - 1]:
        start -= 1
    assert since == ordered[start].at


def test_lowering_past_a_bucket_and_raising_again_restarts_its_coverage() -> None:
    changes = [
        PercentageChange(T0, Percentage(5000)),
        PercentageChange(T0 + timedelta(hours=1), Percentage(100)),
        PercentageChange(T0 + timedelta(hours=2), Percentage(6000)),
        PercentageChange(T0 + timedelta(hours=3), Percentage(9000)),
    ]
    assert rollout_since(changes, 1000) == T0 + timedelta(hours=2)
    assert rollout_since(changes, 50) == T0
    assert rollout_since(changes, 9500) is None
