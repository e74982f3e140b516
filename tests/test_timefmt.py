from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mfaenv.errors import MfaEnvError
from mfaenv.timefmt import (
    check_duration,
    format_duration,
    format_remaining,
    from_rfc3339,
    parse_duration,
    remaining,
    to_rfc3339,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3600", 3600),
        ("90m", 5400),
        ("12h", 43200),
        ("1h30m", 5400),
        ("1h30m15s", 5415),
        (" 8h ", 28800),
    ],
)
def test_durations_are_read_in_seconds_or_units(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "1.5h", "-1h", "30x", "1m1h", "twelve"])
def test_unreadable_durations_are_refused(text: str) -> None:
    with pytest.raises(MfaEnvError, match="cannot read duration"):
        parse_duration(text)


def test_duration_limits_follow_aws() -> None:
    assert check_duration(900) == 900
    assert check_duration(36 * 3600) == 36 * 3600
    assert check_duration(3600, root=True) == 3600
    for seconds, root in [(899, False), (36 * 3600 + 1, False), (3601, True)]:
        with pytest.raises(MfaEnvError, match="outside what AWS allows"):
            check_duration(seconds, root=root)


def test_remaining_time_as_a_prompt_shows_it() -> None:
    now = 1_000_000.0
    assert remaining(1_000_000 + 42_120, now) == 42_120
    assert format_remaining(42_120) == "11h42m"
    assert format_remaining(3600) == "1h00m"
    assert format_remaining(37 * 60 + 59) == "37m"
    assert format_remaining(59) == "<1m"
    assert format_remaining(0) == "expired"
    assert format_remaining(remaining(999_000, now)) == "expired"


def test_durations_are_written_shortest_first() -> None:
    assert format_duration(43200) == "12h"
    assert format_duration(5400) == "1h30m"
    assert format_duration(45) == "45s"


def test_rfc3339_is_utc_with_z_and_round_trips() -> None:
    moment = datetime(2026, 11, 23, 21, 18, 4, 65108, tzinfo=timezone(timedelta(hours=2)))
    text = to_rfc3339(moment)
    assert text == "2026-11-23T19:18:04Z"
    assert from_rfc3339(text) == moment.replace(microsecond=0)
    with pytest.raises(ValueError, match="naive"):
        to_rfc3339(datetime(2026, 1, 1))
