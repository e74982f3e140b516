"""`mfa CODE`, `mfa`, `mfa off` in the real bash, zsh and fish, against a moto server."""

from __future__ import annotations

import os
import re
from pathlib import Path

from conftest import Home, init_command, run_shell, transcript, write_profile
from fakeaws import FakeAws, session_token_reply

from mfaenv.motoserver import DemoUser

SESSION_VARS = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_SESSION_EXPIRATION",
    "MFAENV_PROFILE",
    "MFAENV_EXPIRES",
    "MFAENV_ARN",
    "MFAENV_SERIAL",
}


def test_mfa_code_exports_a_session_and_off_restores_the_environment_exactly(
    shell: str, demo: DemoUser, tmp_path: Path
) -> None:
    env = dict(os.environ)
    # Leftovers of other tools: they must come back byte for byte.
    env["AWS_SECURITY_TOKEN"] = "stale 'security' token\n"
    env["AWS_SESSION_EXPIRATION"] = "from some $(other) tool\\"

    t = transcript(shell, ["mfa 123456", "mfa off"], tmp_path, env)

    on = t[1]
    assert on.status == 0, t.stderr
    session = on.env
    assert session["AWS_ACCESS_KEY_ID"] != demo.access_key_id
    assert session["AWS_SESSION_TOKEN"]
    assert "AWS_SECURITY_TOKEN" not in session
    # RFC 3339 UTC, as botocore and starship's aws module (chrono's parse_from_rfc3339) read it.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", session["AWS_CREDENTIAL_EXPIRATION"])
    assert session["AWS_SESSION_EXPIRATION"] == session["AWS_CREDENTIAL_EXPIRATION"]
    assert session["MFAENV_PROFILE"] == "default"
    assert session["MFAENV_ARN"] == demo.arn
    assert session["MFAENV_SERIAL"] == demo.serial
    assert int(session["MFAENV_EXPIRES"]) > 0
    assert on.stash, "the replaced keys are kept in the shell"
    assert "__MFAENV_STASH" not in session

    off = t[2]
    assert off.status == 0, t.stderr
    assert off.env == t.before
    assert not off.stash
    assert t.stdout == ""


def test_keys_in_the_environment_are_used_hidden_from_children_and_restored(
    shell: str, demo: DemoUser, home: Home, tmp_path: Path
) -> None:
    home.aws_credentials.unlink()
    env = dict(os.environ)
    env["AWS_ACCESS_KEY_ID"] = demo.access_key_id
    env["AWS_SECRET_ACCESS_KEY"] = demo.secret_access_key
    t = transcript(shell, ["mfa 123456", "mfa off"], tmp_path, env)
    assert t[1].status == 0, t.stderr
    assert t[1].env["MFAENV_ARN"] == demo.arn
    assert demo.secret_access_key not in "".join(t[1].env.values()), "no child sees the old key"
    assert t[2].env == t.before


def test_off_without_a_session_says_so_and_changes_nothing(shell: str, tmp_path: Path) -> None:
    t = transcript(shell, ["mfa off"], tmp_path)
    assert t[1].status == 1
    assert t[1].env == t.before
    assert t.stderr == "mfaenv: no MFA session in this shell; nothing to undo\n"


def test_a_bad_code_changes_neither_the_shell_nor_any_file(
    shell: str, demo: DemoUser, home: Home, tmp_path: Path
) -> None:
    t = transcript(shell, ["mfa 12345", "mfa 1234567", "mfa stauts"], tmp_path)
    files = home.files()
    assert [step.status for step in t.steps[1:]] == [2, 2, 2]
    assert all(step.env == t.before and not step.stash for step in t.steps)
    assert t.stderr.splitlines() == [
        "mfaenv: an MFA code is exactly 6 digits",
        "mfaenv: an MFA code is exactly 6 digits",
        "mfaenv: unknown command 'stauts'; did you mean `mfa status`?",
    ]
    assert t.stdout == ""
    assert home.files() == files


def test_a_new_terminal_reuses_the_cached_session_without_a_code(
    shell: str, demo: DemoUser, tmp_path: Path
) -> None:
    first = transcript(shell, ["mfa 123456"], tmp_path)
    assert first[1].status == 0, first.stderr
    # A new terminal whose endpoint does not even exist: reuse must not call AWS.
    env = dict(os.environ, AWS_ENDPOINT_URL="http://127.0.0.1:9")
    second = transcript(shell, ["mfa", "mfa off"], tmp_path, env)
    assert second[1].status == 0, second.stderr
    for name in SESSION_VARS:
        assert second[1].env[name] == first[1].env[name], name
    assert second[2].env == second.before


def test_second_code_in_a_session_is_signed_with_the_long_lived_key(
    shell: str, fake_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    env = dict(os.environ)
    env["AWS_ACCESS_KEY_ID"] = "AKIAENVLONGLIVED0001"
    env["AWS_SECRET_ACCESS_KEY"] = "env/long+lived"
    t = transcript(
        shell,
        [
            "mfa 111111 --serial arn:aws:iam::1:mfa/a",
            "mfa 222222 --serial arn:aws:iam::1:mfa/a",
            "mfa off",
        ],
        tmp_path,
        env,
    )
    assert [step.status for step in t.steps] == [0, 0, 0, 0], t.stderr
    assert [r.access_key_id for r in fake_aws.requests] == ["AKIAENVLONGLIVED0001"] * 2
    assert t[3].env == t.before


def test_an_explicit_profile_uses_that_profiles_keys_not_the_environment(
    shell: str, fake_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    write_profile(
        home, "prod", "AKIAPRODLONGLIVED001", "prod/secret", mfa_serial="arn:aws:iam::1:mfa/p"
    )
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAENVLONGLIVED0001", AWS_SECRET_ACCESS_KEY="x")
    t = transcript(
        shell, ["mfa 123456 --profile prod --duration 8h", "mfa status", "mfa off"], tmp_path, env
    )
    assert t[1].status == 0, t.stderr
    assert t[1].env["MFAENV_PROFILE"] == "prod"
    (request,) = fake_aws.requests
    assert request.access_key_id == "AKIAPRODLONGLIVED001"
    assert request.params["SerialNumber"] == "arn:aws:iam::1:mfa/p"
    assert request.params["DurationSeconds"] == "28800"
    assert "profile  prod\n" in t.stdout
    assert "(7h59m left)" in t.stdout or "(8h00m left)" in t.stdout
    assert t[3].env == t.before


def test_a_shell_that_inherited_the_session_can_still_end_it(
    shell: str, demo: DemoUser, tmp_path: Path
) -> None:
    first = transcript(shell, ["mfa 123456"], tmp_path)
    child_env = first[1].env  # exported variables only: the stash stays behind
    t = transcript(shell, ["mfa off"], tmp_path, child_env)
    assert t[1].status == 0
    assert not SESSION_VARS & set(t[1].env)
    assert "the keys it replaced are unknown here" in t.stderr


def test_hostile_session_credentials_are_exported_byte_exact(
    shell: str, fake_aws: FakeAws, tmp_path: Path
) -> None:
    secret = "a'b\"c$(touch pwned)`touch pwned`\\ (fish) é\ttab\\"
    token = "line1\nline2 'x' \\"
    fake_aws.answers["GetSessionToken"] = session_token_reply(secret=secret, token=token)
    env = dict(os.environ)
    env["PWD_CHECK"] = str(tmp_path)
    t = transcript(
        shell, ["cd " + str(tmp_path), "mfa 123456 --serial arn:aws:iam::1:mfa/a"], tmp_path, env
    )
    assert t[2].status == 0, t.stderr
    assert t[2].env["AWS_SECRET_ACCESS_KEY"] == secret
    assert t[2].env["AWS_SESSION_TOKEN"] == token
    assert not (tmp_path / "pwned").exists()


SET_ALL_EXPORT = {"bash": "set -a", "zsh": "setopt ALL_EXPORT", "fish": "true"}


def test_the_stash_stays_unexported_under_set_a_and_all_export(
    shell: str, demo: DemoUser, tmp_path: Path
) -> None:
    env = dict(os.environ, AWS_ACCESS_KEY_ID=demo.access_key_id)
    env["AWS_SECRET_ACCESS_KEY"] = demo.secret_access_key
    t = transcript(
        shell, [SET_ALL_EXPORT[shell], "mfa 123456", "mfa 654321", "mfa off"], tmp_path, env
    )
    assert [step.status for step in t.steps] == [0, 0, 0, 0, 0], t.stderr
    for step in (t[2], t[3]):
        assert step.stash
        assert "__mfaenv_stash" not in step.env
        assert demo.secret_access_key not in "".join(step.env.values()), "no child sees the key"
    assert t[4].env == t.before


def test_an_alias_named_mfa_does_not_break_the_integration(shell: str, tmp_path: Path) -> None:
    alias = {
        "bash": "shopt -s expand_aliases; alias mfa='echo the old alias'",
        "zsh": "alias mfa='echo the old alias'",
        "fish": "alias mfa='echo the old alias'",
    }[shell]
    separator = "; " if shell == "fish" else "\n"
    script = separator.join([alias, init_command(shell), "mfa status"])
    result = run_shell(shell, script + "\n", dict(os.environ))
    assert result.stderr == "mfaenv: no MFA session in this shell\n", result.stdout
    assert result.stdout == ""
    assert result.returncode == 1
    assert "the old alias" not in result.stdout + result.stderr
