"""Answers to a newcomer's mistakes: each one gets one line that says what to do."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Home, Mfa, init_command, need, refused, run_shell, transcript, write_profile
from fakeaws import (
    ADMIN,
    SERIAL,
    FakeAws,
    error,
)

from mfaenv.parser import user_verbs

ROOT = Path(__file__).resolve().parent.parent
LEFT_12H = ("11h59m", "12h00m")
LEFT_1H = ("59m", "1h00m")
LEFT_30M = ("29m", "30m")


# --- the shell function is missing --------------------------------------------------------


@pytest.mark.parametrize(
    ("login_shell", "line", "rc_file"),
    [
        ("/bin/bash", 'eval "$(mfaenv init bash)"', "~/.bashrc"),
        ("/usr/bin/zsh", 'eval "$(mfaenv init zsh)"', "~/.zshrc"),
        ("/usr/local/bin/fish", "mfaenv init fish | source", "~/.config/fish/config.fish"),
        ("/bin/ksh", 'eval "$(mfaenv init bash)"', "~/.bashrc"),
    ],
)
@pytest.mark.parametrize("words", [["123456"], ["off"], ["sandbox", "start"]])
def test_a_shell_verb_without_the_shell_function_prints_the_init_line_for_the_users_shell(
    mfaenv: Mfa,
    monkeypatch: pytest.MonkeyPatch,
    home: Home,
    words: list[str],
    login_shell: str,
    line: str,
    rc_file: str,
) -> None:
    monkeypatch.setenv("SHELL", login_shell)
    before = home.files()
    typed = " ".join(words)
    refused(
        mfaenv(*words),
        f"`mfaenv {typed}` must run as `mfa {typed}`, through the shell function that changes "
        f"this shell; if mfa is not found, the function is missing: load it with {line} and "
        f"add that line to {rc_file}",
        status=2,
    )
    assert home.files() == before


def test_without_shell_the_init_line_is_bashs(home: Home) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SHELL"}
    result = subprocess.run(
        [sys.executable, "-m", "mfaenv", "--profile", "dev"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "mfaenv: `mfaenv --profile dev` must run as `mfa --profile dev`, through the shell "
        "function that changes this shell; if mfa is not found, the function is missing: load "
        'it with eval "$(mfaenv init bash)" and add that line to ~/.bashrc\n'
    )


# --- help without internals -----------------------------------------------------------------


def test_the_top_level_help_shows_the_session_options_and_no_internal_verbs(mfaenv: Mfa) -> None:
    for run in (mfaenv("--help"), mfaenv.mfa("help"), mfaenv.mfa("-h")):
        assert (run.status, run.stderr) == (0, "")
        assert "sh-" not in run.stdout and "--shell" not in run.stdout
        for option in ("--profile PROFILE", "--duration DURATION", "--totp SOURCE", "--role ARN"):
            assert f"\n  {option} " in run.stdout, option
        for verb in user_verbs():
            assert re.search(rf"^    {re.escape(verb)}\b", run.stdout, re.MULTILINE), verb


@pytest.mark.parametrize(
    ("words", "usage"),
    [
        (["off", "--help"], "usage: mfa off [-h]\n"),
        (["123456", "--help"], "usage: mfa [-h] [--profile PROFILE]"),
        (["--profile", "dev", "--help"], "usage: mfa [-h] [--profile PROFILE]"),
        (["sandbox", "--help"], "usage: mfa sandbox [-h] {start,stop}\n"),
    ],
)
def test_help_of_a_shell_verb_goes_to_stderr_without_the_shell_option(
    mfaenv: Mfa, words: list[str], usage: str
) -> None:
    run = mfaenv.mfa(*words)
    assert (run.status, run.stdout) == (0, "")
    assert run.stderr.startswith(usage)
    assert "--shell" not in run.stderr and "sh-" not in run.stderr


@pytest.mark.parametrize("verb", user_verbs())
def test_every_verb_has_its_own_help_also_as_mfa_help_verb(mfaenv: Mfa, verb: str) -> None:
    own = mfaenv.mfa(verb, "--help")
    assert own.status == 0
    text = own.stdout + own.stderr
    assert text.startswith("usage: ") and f" {verb}" in text.splitlines()[0]
    assert mfaenv.mfa("help", verb) == type(own)(0, text, "")


def test_help_in_a_real_shell_names_no_internals(shell: str) -> None:
    separator = "; " if shell == "fish" else "\n"
    script = separator.join(
        [init_command(shell), "mfa --help", "mfa off --help", "mfa 123456 --help"]
    )
    result = run_shell(shell, script + "\n", dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert "--duration DURATION" in result.stdout
    assert "usage: mfa off" in result.stderr and "usage: mfa [-h]" in result.stderr
    assert "sh-" not in result.stdout + result.stderr
    assert "--shell" not in result.stdout + result.stderr


# --- typos -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["stauts"], "unknown command 'stauts'; did you mean `mfa status`?"),
        (["stauts", "--json"], "unknown command 'stauts'; did you mean `mfa status`?"),
        (["rotate"], "unknown command 'rotate'; did you mean `mfa rotate-key`?"),
        (
            ["sandbox", "strat"],
            "mfa sandbox: no action 'strat' (one of start, stop); did you mean "
            "`mfa sandbox start`?",
        ),
        (
            ["help", "stauts"],
            "mfaenv help: no command 'stauts'; did you mean `mfaenv help status`?",
        ),
        (["--profle", "dev"], "unrecognized arguments: --profle; did you mean --profile?"),
        (["status", "--jsno"], "unrecognized arguments: --jsno; did you mean --json?"),
        (
            ["policy", "--style", "strcit"],
            "mfaenv policy: no --style 'strcit' (one of strict, self-service); did you mean "
            "`--style strict`?",
        ),
    ],
)
def test_a_typo_gets_did_you_mean(mfaenv: Mfa, words: list[str], message: str) -> None:
    refused(mfaenv.mfa(*words), message, status=2)


def test_a_typo_given_to_mfaenv_itself_gets_did_you_mean(mfaenv: Mfa) -> None:
    refused(mfaenv("stauts"), "unknown command 'stauts'; did you mean `mfa status`?", status=2)
    option = "unrecognized arguments: --profle; did you mean --profile?"
    refused(mfaenv("--profle", "dev"), option, status=2)  # not "unknown command 'dev'"
    refused(
        mfaenv("--duraton=1h"),
        "unrecognized arguments: --duraton=1h; did you mean --duration?",
        status=2,
    )


@pytest.mark.parametrize("words", [["123456", "--help"], ["--profile", "dev", "--help"]])
def test_session_help_asked_of_mfaenv_itself_is_shown_without_the_shell_function(
    mfaenv: Mfa, words: list[str]
) -> None:
    run = mfaenv(*words)
    assert (run.status, run.stderr) == (0, "")
    assert run.stdout.startswith("usage: mfa [-h] [--profile PROFILE]")
    assert "--shell" not in run.stdout and "sh-" not in run.stdout


def test_mfa_login_with_or_without_a_code_gets_the_same_answer(mfaenv: Mfa) -> None:
    answer = "unknown command 'login' (`mfa CODE` starts a session; `mfa help` lists the commands)"
    refused(mfaenv.mfa("login"), answer, status=2)
    refused(mfaenv.mfa("login", "123456"), answer, status=2)


def test_typos_in_a_real_shell_change_nothing(tmp_path: Path) -> None:
    t = transcript("bash", ["mfa stauts", "mfa sandbox strat", "mfa login 123456"], tmp_path)
    assert [step.status for step in t.steps[1:]] == [2, 2, 2]
    assert all(step.env == t.before and not step.stash for step in t.steps)
    assert t.stdout == ""
    assert t.stderr.splitlines() == [
        "mfaenv: unknown command 'stauts'; did you mean `mfa status`?",
        "mfaenv: mfa sandbox: no action 'strat' (one of start, stop); did you mean "
        "`mfa sandbox start`?",
        "mfaenv: unknown command 'login' (`mfa CODE` starts a session; `mfa help` lists the "
        "commands)",
    ]


# --- profiles --------------------------------------------------------------------------------


def test_an_unknown_profile_names_the_known_ones_closest_first(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    for name in ("staging", "prod", "dev", "prod-eu"):
        write_profile(home, name, "AKIAFAKELONGLIVED001", "secret")
    refused(
        mfaenv.mfa("123456", "--profile", "prdo"),
        "profile 'prdo' is not in your AWS config files; known profiles, closest first: "
        "prod, prod-eu, dev, default, staging",
    )
    assert fake_aws.requests == []


def test_an_unknown_profile_among_many_names_five_and_counts_the_rest(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    for i in range(8):
        write_profile(home, f"team-{i}", "AKIAFAKELONGLIVED001", "secret")
    run = mfaenv.mfa("--profile", "team-9")
    refused(
        run,
        "profile 'team-9' is not in your AWS config files; known profiles, closest first: "
        "team-0, team-1, team-2, team-3, team-4 and 4 more",
    )


def test_a_role_whose_source_profile_is_missing_names_the_role_profile(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    with home.aws_config.open("a") as out:
        out.write(f"[profile admin]\nrole_arn = {ADMIN}\nsource_profile = defualt\n")
    refused(
        mfaenv.mfa("123456", "--profile", "admin"),
        "profile 'defualt', the source_profile of role profile 'admin', is not in your AWS "
        "config files; known profiles, closest first: default, admin",
    )
    assert fake_aws.requests == []


def test_a_credential_process_loop_names_the_users_own_key_profiles(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    write_profile(home, "work-keys", "AKIAFAKELONGLIVED002", "secret")
    with home.aws_config.open("a") as out:
        out.write("[profile loop]\ncredential_process = mfaenv credential-process --profile loop\n")
    refused(
        mfaenv("credential-process", "--profile", "loop", "--totp", "command:echo 123456"),
        "profile 'loop' gets its keys from mfaenv credential-process, which gets them from a "
        "profile with long-lived keys: give mfa or credential-process that profile (default, "
        "work-keys), not this one",
    )
    assert fake_aws.requests == []


# --- --duration and the cache -------------------------------------------------------------------


def left(run_stderr: str) -> str:
    match = re.search(r", (\S+) left\n$", run_stderr)
    assert match, run_stderr
    return match.group(1)


def test_another_duration_is_not_served_from_the_cache_and_says_a_code_is_needed(
    mfaenv: Mfa, role_aws: FakeAws
) -> None:
    assert mfaenv.mfa("123456").status == 0
    sent = len(role_aws.requests)
    refused(
        mfaenv.mfa("--duration", "1h"),
        "the cached session of profile 'default' was made for 12h, not for the 1h asked; run "
        "`mfa CODE --duration 1h` for a new session",
    )
    assert len(role_aws.requests) == sent, "no AWS call"
    again = mfaenv.mfa("--duration", "12h")
    assert again.status == 0 and left(again.stderr) in LEFT_12H


def test_another_duration_with_a_totp_source_makes_a_new_session_of_that_length(
    mfaenv: Mfa, role_aws: FakeAws
) -> None:
    assert mfaenv.mfa("123456").status == 0
    run = mfaenv.mfa("--duration", "1h", "--totp", "command:echo 654321")
    assert run.status == 0, run.stderr
    assert role_aws.actions()[-1] == "GetSessionToken"
    assert role_aws.requests[-1].params["DurationSeconds"] == "3600"
    assert run.stderr.startswith("mfaenv: MFA session for profile 'default', ")
    assert left(run.stderr) in LEFT_1H
    sent = len(role_aws.requests)
    reused = mfaenv.mfa("--duration", "1h")
    assert reused.status == 0 and len(role_aws.requests) == sent
    assert reused.stderr.startswith("mfaenv: reused the cached MFA session for profile 'default'")


def test_a_role_profile_with_another_duration_assumes_the_role_again_without_a_code(
    mfaenv: Mfa, role_aws: FakeAws, home: Home
) -> None:
    with home.aws_config.open("a") as out:
        out.write(f"[profile admin]\nrole_arn = {ADMIN}\nsource_profile = default\n")
    assert mfaenv.mfa("123456", "--profile", "admin").status == 0
    sent = len(role_aws.requests)
    run = mfaenv.mfa("--profile", "admin", "--duration", "30m")
    assert run.status == 0, run.stderr
    assert role_aws.actions()[sent:] == ["AssumeRole"], "the MFA session serves: no code"
    assert role_aws.requests[-1].params["DurationSeconds"] == "1800"
    assert left(run.stderr) in LEFT_30M
    assert not run.stderr.startswith("mfaenv: reused")


def test_a_role_duration_refused_without_a_cache_is_refused_with_one_too(
    mfaenv: Mfa, role_aws: FakeAws, home: Home
) -> None:
    """Chained role sessions last an hour at most: `--duration 2h` used to get the cached
    role session (rc 0, "59m left") where the same request with a code was refused."""
    with home.aws_config.open("a") as out:
        out.write(f"[profile admin]\nrole_arn = {ADMIN}\nsource_profile = default\n")
    assert mfaenv.mfa("123456", "--profile", "admin").status == 0
    sent = len(role_aws.requests)
    cached = mfaenv.mfa("--profile", "admin", "--duration", "2h")
    with_code = mfaenv.mfa("654321", "--profile", "admin", "--duration", "2h")
    assert (cached.status, cached.stdout) == (1, "")
    assert cached == with_code
    assert cached.stderr.startswith("mfaenv: ") and cached.stderr.count("\n") == 1
    assert len(role_aws.requests) == sent


# --- messages speak one way ----------------------------------------------------------------


def test_status_without_a_session_says_so_on_stderr_and_json_stays_on_stdout(mfaenv: Mfa) -> None:
    refused(mfaenv("status"), "no MFA session in this shell")
    run = mfaenv("status", "--json")
    assert (run.status, run.stderr) == (1, "") and '"active": false' in run.stdout


def test_a_reused_code_and_a_rejected_code_are_told_alike(
    mfaenv: Mfa, role_aws: FakeAws, home: Home
) -> None:
    assert mfaenv.mfa("123456", "--serial", SERIAL).status == 0
    # With the session it made still cached, the same code would get that session.
    (home.cache / "mfaenv" / "sessions" / "default.json").unlink()
    refused(
        mfaenv.mfa("123456", "--serial", SERIAL, "--profile", "default"),
        "that code was already used (each code works once; wait for the next one)",
    )
    role_aws.answers["GetSessionToken"] = lambda r: error(
        "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.", 403
    )
    refused(
        mfaenv.mfa("654321", "--serial", SERIAL, "--profile", "default"),
        f"AWS rejected the code for {SERIAL}: it is wrong, or it was already used "
        "(each code works once; wait for the next one)",
    )


def test_a_reused_session_says_it_was_reused(mfaenv: Mfa, role_aws: FakeAws) -> None:
    new = mfaenv.mfa("123456")
    assert new.stderr.startswith("mfaenv: MFA session for profile 'default', ")
    reused = mfaenv.mfa()
    assert reused.status == 0
    assert reused.stderr.startswith("mfaenv: reused the cached MFA session for profile 'default', ")
    assert left(reused.stderr) in LEFT_12H
    assert reused.stderr.count("\n") == 1


def test_the_same_code_typed_again_says_the_session_it_made_was_reused(
    mfaenv: Mfa, role_aws: FakeAws
) -> None:
    assert mfaenv.mfa("123456").status == 0
    again = mfaenv.mfa("123456")
    assert again.status == 0
    assert again.stderr.startswith("mfaenv: reused the cached MFA session for profile 'default', ")
    assert role_aws.actions().count("GetSessionToken") == 1, "no second call to AWS"


def test_off_says_in_one_line_what_it_restored_and_unset(
    role_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    home.aws_credentials.unlink()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAFAKELONGLIVED001", AWS_SECRET_ACCESS_KEY="s")
    t = transcript("bash", ["mfa 123456 --serial " + SERIAL, "mfa off"], tmp_path, env)
    assert [step.status for step in t.steps] == [0, 0, 0], t.stderr
    assert t[2].env == t.before
    said = t.stderr.splitlines()
    assert len(said) == 2, said
    assert re.fullmatch(
        r"mfaenv: ended the MFA session for profile 'default': restored AWS_ACCESS_KEY_ID, "
        r"AWS_SECRET_ACCESS_KEY; unset \d+ session variables",
        said[1],
    ), said[1]


def test_off_with_no_keys_before_says_it_unset_the_session(
    role_aws: FakeAws, tmp_path: Path, shell: str
) -> None:
    t = transcript(shell, ["mfa 123456 --serial " + SERIAL, "mfa off"], tmp_path)
    assert [step.status for step in t.steps] == [0, 0, 0], t.stderr
    assert t[2].env == t.before
    assert re.fullmatch(
        r"mfaenv: ended the MFA session for profile 'default': unset its \d+ variables; no keys "
        r"were set before it",
        t.stderr.splitlines()[-1],
    ), t.stderr


# --- a serial with a comment in it ----------------------------------------------------------


def test_a_comment_after_mfa_serial_is_named_instead_of_sent_to_aws(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    comment = "   # optional: found by itself otherwise"
    write_profile(home, "dev-long-term", "AKIAFAKELONGLIVED001", "s", mfa_serial=SERIAL + comment)
    refused(
        mfaenv.mfa("123456", "--profile", "dev-long-term"),
        f"mfa_serial of profile 'dev-long-term' is '{SERIAL}   # optional: found by itself "
        "otherwise', with a space or '#' in it; the AWS config has no inline comments (a "
        "'# ...' after a value is part of it): put the comment on a line of its own",
    )
    assert fake_aws.requests == []


def test_the_documentation_puts_no_comment_after_a_value_in_aws_config_examples() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    blocks = [
        block
        for page in pages
        for block in re.findall(r"```ini\n(.*?)```", page.read_text(), re.DOTALL)
    ]
    assert blocks
    for block in blocks:
        for line in block.splitlines():
            if "=" in line and not line.lstrip().startswith(("#", ";")):
                assert "#" not in line.partition("=")[2], line


# --- the man page ---------------------------------------------------------------------------------


def test_man_shows_every_command_and_the_session_options(tmp_path: Path) -> None:
    from mfaenv.manpage import render

    page_file = tmp_path / "mfaenv.1"
    page_file.write_text(render())
    result = subprocess.run(
        [need("man"), "-l", str(page_file)],
        env=dict(os.environ, MANWIDTH="100", MANPAGER="cat", PAGER="cat"),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    page = result.stdout
    assert "mfaenv, mfa - MFA-protected AWS access keys" in page
    for verb in user_verbs():
        assert re.search(rf"^\s+(mfa|mfaenv) {re.escape(verb)}$", page, re.MULTILINE), verb
    for option in ("--profile PROFILE", "--duration DURATION", "--totp SOURCE", "--role ARN"):
        assert option in page
    assert "sh-" not in page and "--shell" not in page


def test_the_wheel_is_told_to_install_the_man_pages() -> None:
    """hatch_build.py puts the pages into the wheel's share/man/man1 and man5 (.ci/run checks
    the built wheel); the sdist carries the hook, so a wheel built from it has them too."""
    if sys.version_info >= (3, 11):
        import tomllib  # novermin (3.11 and later only)
    else:
        import tomli as tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    targets = project["tool"]["hatch"]["build"]["targets"]
    assert "custom" in targets["wheel"]["hooks"]
    assert "hatch_build.py" in targets["sdist"]["include"]
    hook = (ROOT / "hatch_build.py").read_text()
    assert (
        'build_data["shared_data"][str(page)] = f"share/man/man{section}/{name}.{section}"' in hook
    )
    assert '("mfaenv", 1, render())' in hook and '("mfaenv-config", 5, render_config())' in hook


def test_the_readme_opens_the_man_page_where_an_older_pipx_leaves_it() -> None:
    """pipx before 1.5 links no man page: the README's `man -l` line names where pipx
    keeps mfaenv's environment and, in it, the page's path in the wheel."""
    readme = (ROOT / "README.md").read_text()
    line = 'man -l "$(pipx environment --value PIPX_LOCAL_VENVS)/mfaenv/share/man/man1/mfaenv.1"'
    assert f"\n{line}\n" in readme
    hook = (ROOT / "hatch_build.py").read_text()
    assert '"share/man/man{section}/{name}.{section}"' in hook and '("mfaenv", 1, ' in hook
    assert line.endswith('/mfaenv/share/man/man1/mfaenv.1"')
