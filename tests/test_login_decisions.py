"""The decisions on the way to a session, one table each: whether the cached session
serves, how near its end an SDK still gets it, which device a code is for, how a role is
assumed, and whether a code may be sent. No AWS: the time is a number or a fake clock,
the cache a directory of the test's own, AWS's answer about devices a plain function."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeClock

from mfaenv.cache import REUSE_MARGIN, Cache, SerialRecord
from mfaenv.device import Device, find_device, named_serial
from mfaenv.errors import MfaEnvError
from mfaenv.newsession import role_mode
from mfaenv.request import Request
from mfaenv.reuse import (
    RENEW_MARGIN,
    SHORT_FOR_SDKS,
    cached_session,
    judge,
    sdk_margin,
    warns_short,
)
from mfaenv.rolemodes import CHAIN, DIRECT
from mfaenv.session import Credentials, Session, fingerprint
from mfaenv.spend import CODE_MEMORY, USED, fresh_code

NOW = 1_800_000_000.0
MINUTE = 60
HOUR = 3600
SERIAL = "arn:aws:iam::123456789012:mfa/alice"
USER = "arn:aws:iam::123456789012:user/alice"
KEY = "AKIALONGLIVED0000001"


def cached(left: float, source: str | None = KEY, duration: int | None = 12 * HOUR) -> Session:
    """A cached MFA session of profile dev with ``left`` seconds to go."""
    return Session(
        profile="dev",
        credentials=Credentials("ASIACACHED", "secret", "token"),
        expires=int(NOW + left),
        serial=SERIAL,
        source=fingerprint(source) if source else None,
        duration=duration,
    )


# --- the reuse policy ------------------------------------------------------------------------

REUSE_CASES = [
    # id, seconds left (None: nothing cached), margin, duration asked, key in the
    # environment, --profile named, reused, what the reason says
    ("an_hour_left_is_reused", HOUR, REUSE_MARGIN, None, KEY, False, True, None),
    ("nothing_cached_says_run_mfa_code", None, REUSE_MARGIN, None, KEY, False, False,
     "no cached MFA session for profile 'dev'"),
    ("within_the_margin_is_too_close_to_its_end", 4 * MINUTE, REUSE_MARGIN, None, KEY, False,
     False, "left, too close to its end to use"),
    ("an_ended_session_says_it_has_ended", -MINUTE, REUSE_MARGIN, None, KEY, False, False,
     "the MFA session of profile 'dev' has ended: run `mfa CODE --profile dev`"),
    ("ten_minutes_left_is_renewed_at_the_sdk_margin", 10 * MINUTE, RENEW_MARGIN, None, KEY,
     False, False, "too close to its end"),
    ("ten_minutes_left_is_reused_at_the_shell_margin", 10 * MINUTE, REUSE_MARGIN, None, KEY,
     False, True, None),
    ("margin_zero_serves_to_the_last_second", 1, 0, None, KEY, False, True, None),
    ("margin_zero_ends_at_the_end", 0, 0, None, KEY, False, False, "has ended:"),
    ("another_key_in_the_environment_is_not_served", HOUR, REUSE_MARGIN, None,
     "AKIAOTHERKEY00000001", False, False, "was made from another access key"),
    ("another_key_in_the_environment_is_ignored_with_profile_named", HOUR, REUSE_MARGIN, None,
     "AKIAOTHERKEY00000001", True, True, None),
    ("no_key_in_the_environment_is_served", HOUR, REUSE_MARGIN, None, None, False, True, None),
    ("the_length_asked_again_is_served", HOUR, REUSE_MARGIN, 12 * HOUR, KEY, False, True, None),
    ("another_length_asked_is_not_served", HOUR, REUSE_MARGIN, HOUR, KEY, False, False,
     "was made for 12h, not for the 1h asked; run `mfa CODE --duration 1h`"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("left", "margin", "duration", "environ_key", "explicit", "reused", "reason"),
    [case[1:] for case in REUSE_CASES],
    ids=[case[0] for case in REUSE_CASES],
)
def test_reuse_policy(
    left: float | None,
    margin: int,
    duration: int | None,
    environ_key: str | None,
    explicit: bool,
    reused: bool,
    reason: str | None,
) -> None:
    request = Request(profile="dev", explicit_profile=explicit, duration=duration)
    session = None if left is None else cached(left)
    got, why = judge(request, session, now=NOW, margin=margin, environ_key=environ_key)
    assert (got is not None) == reused
    if reused:
        assert got is session and why is None
    else:
        assert why is not None and reason is not None and reason in why


def test_reuse_of_a_session_made_before_lengths_were_kept_says_made_earlier() -> None:
    request = Request(profile="dev", explicit_profile=False, duration=HOUR)
    _, why = judge(request, cached(HOUR, duration=None), now=NOW, margin=0, environ_key=None)
    assert why is not None and "was made earlier, not for the 1h asked" in why


def test_reuse_reads_the_cache_at_the_clocks_time(tmp_path: Path, clock: FakeClock) -> None:
    clock.time = NOW
    cache = Cache(tmp_path / "cache", clock=clock)
    session = cached(10 * MINUTE)
    cache.save_session(session, "dev")
    request = Request(profile="dev", explicit_profile=True)
    assert cached_session(cache, request, {}, REUSE_MARGIN)[0] == session
    clock.sleep(6 * MINUTE)  # four minutes left: within the margin
    got, why = cached_session(cache, request, {}, REUSE_MARGIN)
    assert got is None and why is not None and "4m left, too close to its end" in why
    assert cached_session(cache, request, {}, 0)[0] == session


def test_an_untrusted_cache_file_is_no_session(tmp_path: Path, clock: FakeClock) -> None:
    cache = Cache(tmp_path / "cache", clock=clock)
    cache.save_session(cached(HOUR).replace(expires=int(clock.now()) + HOUR), "dev")
    Path(cache.session_path("dev")).chmod(0o644)  # others may read it: not trusted
    got, why = cached_session(cache, Request(profile="dev", explicit_profile=True), {})
    assert got is None and why is not None and "not using it: run `mfa CODE`" in why


@pytest.mark.parametrize(
    ("can_renew", "can_ask", "margin"),
    [
        pytest.param(True, True, RENEW_MARGIN, id="a_totp_source_renews_15_minutes_before"),
        pytest.param(True, False, RENEW_MARGIN, id="a_totp_source_needs_no_terminal"),
        pytest.param(False, True, REUSE_MARGIN, id="asking_for_a_code_waits_for_5_minutes"),
        pytest.param(False, False, 0, id="no_way_to_a_code_serves_to_the_very_end"),
    ],
)
def test_how_near_its_end_an_sdk_gets_the_cached_session(
    can_renew: bool, can_ask: bool, margin: int
) -> None:
    assert sdk_margin(can_renew=can_renew, can_ask=can_ask) == margin


@pytest.mark.parametrize(
    ("duration", "serving_sdk", "warned"),
    [
        pytest.param(15 * MINUTE, False, True, id="a_15m_session_for_a_shell_warns"),
        pytest.param(SHORT_FOR_SDKS - 1, False, True, id="just_under_30m_warns"),
        pytest.param(SHORT_FOR_SDKS, False, False, id="30m_is_long_enough"),
        pytest.param(None, False, False, id="the_default_length_is_long_enough"),
        pytest.param(15 * MINUTE, True, False, id="credential_process_says_it_itself"),
    ],
)
def test_when_a_short_session_is_worth_a_warning(
    duration: int | None, serving_sdk: bool, warned: bool
) -> None:
    assert warns_short(duration, serving_sdk=serving_sdk) is warned


# --- which device ----------------------------------------------------------------------------

OTHER = "arn:aws:iam::123456789012:mfa/other"
ROLE_SERIAL = "arn:aws:iam::123456789012:mfa/role"
LAYOUT = "arn:aws:iam::123456789012:mfa/layout"
CONFIGURED = "arn:aws:iam::123456789012:mfa/configured"

DEVICE_CASES = [
    # id, --serial, the AWS settings, the layout's device, the config's serial, chosen
    ("the_serial_given_comes_first", SERIAL,
     {"mfa_serial": OTHER, "aws_mfa_serial": OTHER}, LAYOUT, CONFIGURED, SERIAL),
    ("then_mfa_serial", None, {"mfa_serial": SERIAL, "aws_mfa_serial": OTHER}, LAYOUT,
     CONFIGURED, SERIAL),
    ("then_aws_recipes_aws_mfa_serial", None, {"aws_mfa_serial": SERIAL}, LAYOUT, CONFIGURED,
     SERIAL),
    ("then_the_device_the_layout_names", None, {}, SERIAL, CONFIGURED, SERIAL),
    ("then_serial_in_the_mfaenv_config", None, {}, None, SERIAL, SERIAL),
    ("none_named", None, {}, None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("serial", "settings", "layout", "configured", "chosen"),
    [case[1:] for case in DEVICE_CASES],
    ids=[case[0] for case in DEVICE_CASES],
)
def test_the_device_named_in_order(
    serial: str | None,
    settings: dict[str, str],
    layout: str | None,
    configured: str | None,
    chosen: str | None,
) -> None:
    request = Request(profile="dev", explicit_profile=False, serial=serial)
    named = named_serial(request, request, settings.get, layout, configured)
    assert (named[0] if named else None) == chosen


@pytest.mark.parametrize(
    ("source_serial", "asked_serial", "settings", "origin"),
    [
        pytest.param(SERIAL, SERIAL, {}, "--serial", id="given_on_the_command_line"),
        pytest.param(
            ROLE_SERIAL, None, {}, "mfa_serial of profile 'admin'", id="the_role_profiles_own"
        ),
        pytest.param(
            None, None, {"mfa_serial": SERIAL}, "mfa_serial of profile 'dev'", id="mfa_serial"
        ),
        pytest.param(
            None,
            None,
            {},
            "serial of profile 'dev' in the mfaenv config",
            id="serial_in_the_mfaenv_config",
        ),
    ],
)
def test_where_the_device_was_named_for_a_refusal(
    source_serial: str | None, asked_serial: str | None, settings: dict[str, str], origin: str
) -> None:
    """The request for the key profile (dev) of what was asked (admin, a role profile)."""
    asked = Request(profile="admin", explicit_profile=True, serial=asked_serial)
    request = Request(profile="dev", explicit_profile=True, serial=source_serial)
    named = named_serial(request, asked, settings.get, None, CONFIGURED)
    assert named is not None and named[1] == origin


def no_aws() -> tuple[str, list[str]]:
    raise AssertionError("AWS was asked for the devices")


def test_a_named_device_is_used_without_asking_aws(tmp_path: Path, clock: FakeClock) -> None:
    request = Request(profile="dev", explicit_profile=False)
    named = (SERIAL, "mfa_serial of profile 'dev'")
    device, found = find_device(request, named, Cache(tmp_path, clock), "fp", no_aws)
    assert (device.serial, device.arn, device.root, found) == (SERIAL, None, False, None)


@pytest.mark.parametrize(
    ("origin", "status", "says"),
    [
        pytest.param("mfa_serial of profile 'dev'", 1, "no inline comments", id="mfa_serial"),
        pytest.param("--serial", 2, "with a space or '#' in it", id="the_command_line"),
    ],
)
def test_a_serial_with_a_comment_is_refused(
    tmp_path: Path, clock: FakeClock, origin: str, status: int, says: str
) -> None:
    request = Request(profile="dev", explicit_profile=False)
    named = (f"{SERIAL}  # my phone", origin)
    with pytest.raises(MfaEnvError) as refused:
        find_device(request, named, Cache(tmp_path, clock), "fp", no_aws)
    assert refused.value.exit_code == status and says in str(refused.value)


def test_the_device_found_before_for_the_key_is_used_without_asking_aws(
    tmp_path: Path, clock: FakeClock
) -> None:
    cache = Cache(tmp_path, clock)
    cache.remember_serial(fingerprint(KEY), SerialRecord(SERIAL, USER))
    request = Request(profile="dev", explicit_profile=False)
    device, found = find_device(request, None, cache, fingerprint(KEY), no_aws)
    assert (device.serial, device.arn, found) == (SERIAL, USER, None)


DISCOVERY_CASES = [
    ("the_one_device_is_used_and_remembered", USER, [SERIAL], None),
    ("the_root_users_device_says_root", "arn:aws:iam::123456789012:root", [SERIAL], None),
    ("no_device_is_refused", USER, [], "has no MFA device that gives codes"),
    ("two_devices_are_refused_naming_both", USER, [SERIAL, OTHER],
     f"has 2 MFA devices ({SERIAL}, {OTHER}); choose one with --serial ARN"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("arn", "devices", "refusal"),
    [case[1:] for case in DISCOVERY_CASES],
    ids=[case[0] for case in DISCOVERY_CASES],
)
def test_the_device_asked_of_aws_when_none_is_named_or_cached(
    tmp_path: Path, clock: FakeClock, arn: str, devices: list[str], refusal: str | None
) -> None:
    request = Request(profile="dev", explicit_profile=False)
    cache = Cache(tmp_path, clock)

    def identify() -> tuple[str, list[str]]:
        return arn, devices

    if refusal is not None:
        with pytest.raises(MfaEnvError) as refused:
            find_device(request, None, cache, fingerprint(KEY), identify)
        assert str(refused.value).startswith(f"{arn} {refusal}")
        assert cache.serial_for(fingerprint(KEY)) is None
        return
    device, found = find_device(request, None, cache, fingerprint(KEY), identify)
    assert (device.serial, device.arn, device.root) == (SERIAL, arn, arn.endswith(":root"))
    assert found == SerialRecord(SERIAL, arn)  # cached once AWS accepts a code


# --- how a role is assumed -------------------------------------------------------------------

ROLE_MODE_CASES = [
    # id, role_mode, --duration, duration in the config, duration_seconds, mode, says which
    ("chained_by_default", None, None, None, 3 * HOUR, CHAIN, False),
    ("chain_as_configured", "chain", None, None, None, CHAIN, False),
    ("direct_as_configured", "direct", None, None, None, DIRECT, False),
    ("auto_chains_with_no_length", "auto", None, None, None, CHAIN, True),
    ("auto_chains_for_an_hour_asked", "auto", HOUR, None, None, CHAIN, True),
    ("auto_is_direct_for_two_hours_asked", "auto", 2 * HOUR, None, None, DIRECT, True),
    ("auto_chains_for_30m_configured", "auto", None, 30 * MINUTE, 3 * HOUR, CHAIN, True),
    ("auto_is_direct_for_the_profiles_3h", "auto", None, None, 3 * HOUR, DIRECT, True),
    ("auto_takes_the_length_asked_first", "auto", HOUR, 3 * HOUR, 3 * HOUR, CHAIN, True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("configured_mode", "asked", "configured", "aws_setting", "mode", "says"),
    [case[1:] for case in ROLE_MODE_CASES],
    ids=[case[0] for case in ROLE_MODE_CASES],
)
def test_role_mode(
    configured_mode: str | None,
    asked: int | None,
    configured: int | None,
    aws_setting: int | None,
    mode: str,
    says: bool,
) -> None:
    got, took = role_mode(
        configured_mode, asked=asked, configured=configured, aws_setting=aws_setting
    )
    assert got == mode
    assert (took is not None) == says
    if took is not None:
        assert took.startswith("role_mode auto: ")
        assert ("chained from the MFA session" in took) == (mode == CHAIN)


# --- whether a code may be sent --------------------------------------------------------------


@pytest.mark.parametrize(
    ("accepted_ago", "refused"),
    [
        pytest.param(None, False, id="a_code_never_seen_is_sent"),
        pytest.param(30, True, id="a_code_accepted_30s_ago_is_refused"),
        pytest.param(CODE_MEMORY, True, id="remembered_for_two_minutes"),
        pytest.param(CODE_MEMORY + 1, False, id="forgotten_after_two_minutes"),
    ],
)
def test_a_typed_code_aws_accepted_is_not_sent_again(
    tmp_path: Path, clock: FakeClock, accepted_ago: int | None, refused: bool
) -> None:
    clock.time = NOW
    cache = Cache(tmp_path, clock)
    if accepted_ago is not None:
        cache.remember_code(SERIAL, "123456", int(NOW) - accepted_ago)

    def ask() -> str | None:
        raise AssertionError("asked for a code that was given")

    device = Device(SERIAL)
    if refused:
        with pytest.raises(MfaEnvError) as said:
            fresh_code(cache, clock, device, "123456", None, ask)
        assert str(said.value) == USED
    else:
        assert fresh_code(cache, clock, device, "123456", None, ask) == "123456"


def test_no_code_given_and_none_to_ask_for_is_refused(tmp_path: Path, clock: FakeClock) -> None:
    with pytest.raises(MfaEnvError, match="no MFA code: give one"):
        fresh_code(Cache(tmp_path, clock), clock, Device(SERIAL), None, None, lambda: None)
