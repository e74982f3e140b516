"""The session follows the profile the shell is in (mfaenv.profilefollow): AWS_PROFILE set
by hand, by direnv (the real one, before and after `cd`), in every shell."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import Home, every_shell, kind, need, transcript, write_profile
from fakeaws import SERIAL, FakeAws, session_token_reply

HOOK = "__mfaenv_prompt_hook"  # what the shell runs before its next prompt


def export(shell: str, name: str, value: str) -> str:
    return f"set -gx {name} {value}" if kind(shell) == "fish" else f"export {name}={value}"


def direnv(shell: str) -> str:
    """What direnv's own hook runs before a prompt, for this shell."""
    family = kind(shell)
    if family == "fish":
        return "direnv export fish | source"
    return f'eval "$(direnv export {family})"'


def profiles(home: Home) -> None:
    for name in ("prod", "dev"):
        write_profile(home, name, f"AKIA{name.upper()}LONGLIVED0", "long/lived", mfa_serial=SERIAL)


@every_shell
def test_a_profile_exported_in_a_session_puts_the_session_away_when_it_has_none(
    shell: str, fake_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    profiles(home)
    env = dict(os.environ, AWS_PROFILE="prod")
    t = transcript(
        shell, ["mfa 111111", export(shell, "AWS_PROFILE", "dev"), HOOK, HOOK], tmp_path, env
    )
    assert [s.status for s in t.steps] == [0] * 5, t.stderr
    assert t[1].env["MFAENV_PROFILE"] == "prod"
    assert "AWS_PROFILE" not in t[1].env, "set aside during the session"
    assert t[3].env == {**t.before, "AWS_PROFILE": "dev"}, "no key of prod's under dev's name"
    assert not t[3].stash
    assert t.stderr.count("mfaenv: this shell is now in profile") == 1, "once, not per prompt"
    assert (
        "mfaenv: this shell is now in profile 'dev' (AWS_PROFILE): the MFA session of 'prod' "
        "is put away; `mfa CODE` gets one for 'dev'"
    ) in t.stderr


@every_shell
def test_a_profile_exported_in_a_session_takes_its_cached_session(
    shell: str, fake_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    profiles(home)
    env = dict(os.environ, AWS_PROFILE="prod")
    commands = [
        "mfa 111111 --profile dev",  # dev's session, cached
        "mfa off",
        "mfa 222222",  # prod's
        export(shell, "AWS_PROFILE", "dev"),
        HOOK,
        "mfa off",
    ]
    t = transcript(shell, commands, tmp_path, env)
    assert [s.status for s in t.steps] == [0] * 7, t.stderr
    assert t[3].env["MFAENV_PROFILE"] == "prod"
    assert t[5].env["MFAENV_PROFILE"] == "dev"
    assert t[5].env["AWSU_PROFILE"] == "dev"
    assert "AWS_PROFILE" not in t[5].env, "set aside again, for the JavaScript SDK"
    assert "it holds that profile's cached MFA session" in t.stderr
    assert t[6].env == {**t.before, "AWS_PROFILE": "dev"}, "mfa off: the profile the shell is in"
    assert fake_aws.actions().count("GetSessionToken") == 2, "no code, no AWS call to switch"


@every_shell
def test_direnv_in_and_out_of_project_folders(
    shell: str, fake_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    """direnv sets AWS_PROFILE in a project's folder and takes it back outside: the shell's
    session follows, and no project's value leaks out of its folder."""
    need("direnv")
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    profiles(home)
    for name in ("prod", "dev"):
        folder = tmp_path / f"project-{name}"
        folder.mkdir()
        (folder / ".envrc").write_text(f"export AWS_PROFILE={name}\n")
        subprocess.run([need("direnv"), "allow", str(folder)], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k != "AWS_PROFILE"}
    here = str(tmp_path)
    commands = [
        f"cd {here}/project-prod; {direnv(shell)}; {HOOK}",
        "mfa 111111",
        f"cd {here}/project-dev; {direnv(shell)}; {HOOK}",  # dev: no session
        f"cd {here}/project-prod; {direnv(shell)}; {HOOK}",
        "mfa 222222",
        f"cd {here}; {direnv(shell)}; {HOOK}",  # out: the shell's own profile, default
        f"cd {here}/project-prod; {direnv(shell)}; {HOOK}",
        "mfa 333333",
        f"cd {here}; {direnv(shell)}",  # out, and mfa off before any prompt
        "mfa off",
    ]
    t = transcript(shell, commands, tmp_path, env)
    assert [s.status for s in t.steps] == [0] * 11, t.stderr
    assert t[2].env["MFAENV_PROFILE"] == "prod" and "AWS_PROFILE" not in t[2].env
    assert "MFAENV_PROFILE" not in t[3].env and t[3].env["AWS_PROFILE"] == "dev"
    assert t[5].env["MFAENV_PROFILE"] == "prod"
    assert "MFAENV_PROFILE" not in t[6].env, "prod's keys are not kept outside its folder"
    assert "AWS_PROFILE" not in t[6].env, "nor its AWS_PROFILE"
    assert "AWS_PROFILE" not in t[10].env, "mfa off does not bring back a left folder's value"
    assert "AWS_SESSION_TOKEN" not in t[10].env
