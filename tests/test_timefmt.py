from __future__ import annotations

import pytest

from mfaenv.errors import MfaEnvError
from mfaenv.limits import check_duration
from mfaenv.rolemodes import CHAIN, DIRECT, MFA, session_length
from mfaenv.timefmt import (
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
    epoch = 1795461484  # 2026-11-23T19:18:04Z
    assert to_rfc3339(epoch) == "2026-11-23T19:18:04Z"
    assert from_rfc3339("2026-11-23T19:18:04Z") == epoch
    assert from_rfc3339("2026-11-23T21:18:04.065108+02:00") == epoch
    for bad in ("2026-11-23T19:18:04", "yesterday", "9999999-01-01T00:00:00Z"):
        with pytest.raises(ValueError):
            from_rfc3339(bad)


@pytest.mark.parametrize(
    "text", ["\uff11\uff12h", "\u0663\u0660m", "\u00b2", "9" * 5000, "1h" * 100, "  "]
)
def test_durations_take_ascii_digits_of_a_sane_length_only(text: str) -> None:
    with pytest.raises(MfaEnvError, match="cannot read duration"):
        parse_duration(text)


def test_an_mfa_session_takes_what_was_asked_else_the_config_else_twelve_hours() -> None:
    assert session_length(MFA, profile="p") == (43200, None)
    assert session_length(MFA, profile="p", root=True) == (3600, None)
    assert session_length(MFA, profile="p", asked=7200, configured=3600) == (7200, None)
    assert session_length(MFA, profile="p", configured=3600) == (3600, None)
    with pytest.raises(MfaEnvError, match="outside what AWS allows for the root user"):
        session_length(MFA, profile="p", asked=7200, root=True)


def test_a_chained_role_lasts_an_hour_at_most() -> None:
    assert session_length(CHAIN, profile="admin") == (3600, None)
    assert session_length(CHAIN, profile="admin", asked=1800) == (1800, None)
    duration, note = session_length(CHAIN, profile="admin", aws_setting=7200)
    assert duration == 3600
    assert note is not None and "duration_seconds of 'admin' is 2h" in note
    with pytest.raises(MfaEnvError, match=r"lasts at most 1h .* not 2h"):
        session_length(CHAIN, profile="admin", asked=7200)
    with pytest.raises(MfaEnvError, match=r"lasts at most 1h .* not 2h"):
        session_length(CHAIN, profile="admin", configured=7200)
    with pytest.raises(MfaEnvError, match="15m to 1h"):
        session_length(CHAIN, profile="admin", asked=600)


def test_a_direct_role_takes_fifteen_minutes_to_twelve_hours() -> None:
    assert session_length(DIRECT, profile="ops") == (3600, None)
    assert session_length(DIRECT, profile="ops", aws_setting=7200) == (7200, None)
    assert session_length(DIRECT, profile="ops", asked=43200) == (43200, None)
    for seconds in (600, 43201):
        with pytest.raises(MfaEnvError, match="AssumeRole takes 15m to 12h"):
            session_length(DIRECT, profile="ops", asked=seconds)
