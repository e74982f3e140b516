"""Never lose a key: every mfaenv command that writes ~/.aws/credentials or ~/.aws/config,
on every shape of those files, leaves every other section as botocore reads it and every
byte outside the edited section as it was, and prints no secret (issue 20).

The table: file shapes x writing commands (`--save-as`, `unsave`, `rotate-key`, `keys
import`), in-process against the tests' fake AWS; each file compared with
``botocore.configloader.raw_config_parse`` before and after.
"""

from __future__ import annotations

import difflib
import re
import stat
import string
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.configloader import build_profile_map, raw_config_parse
from botocore.exceptions import ConfigParseError
from conftest import Home, Mfa, write_config
from fakeaws import (
    SERIAL,
    SESSION_KEY,
    SESSION_SECRET,
    SESSION_TOKEN,
    FakeAws,
    access_keys_reply,
    empty_reply,
    identity_reply,
    new_access_key_reply,
    session_token_reply,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mfaenv.awsfiles import AwsFile

LONG_KEY, LONG_SECRET = "AKIAFAKELONGLIVED001", "long/lived+LONGSECRET"
BOT_KEY, BOT_SECRET = "AKIAFAKEBOTKEY000001", "bot/secret+BOTSECRET"
NEW_KEY, NEW_SECRET = "AKIAFAKENEWKEY000002", "new/secret+NEWSECRET"
STRAY = "wJalrXUtnFEMIK7MDENGbPxRfiCYSTRAYLINE"  # a secret pasted on a line of its own
SECRETS = (LONG_SECRET, BOT_SECRET, NEW_SECRET, SESSION_SECRET, SESSION_TOKEN, STRAY)
LONG_LIVED_SECRETS = (LONG_SECRET, BOT_SECRET, NEW_SECRET, STRAY)

DEFAULT = f"[default]\naws_access_key_id = {LONG_KEY}\naws_secret_access_key = {LONG_SECRET}\n"
BOT = f"[bot]\naws_access_key_id = {BOT_KEY}\naws_secret_access_key = {BOT_SECRET}\n"
CONFIG = "[default]\nregion = us-east-1\n"
DEFAULT_IN_CONFIG = (
    f"[default]\nregion = us-east-1\naws_access_key_id = {LONG_KEY}\n"
    f"aws_secret_access_key = {LONG_SECRET}\n"
)


@dataclass(frozen=True)
class Shape:
    """The two files as a user may have them. ``credentials`` None: no such file."""

    credentials: str | None
    config: str = CONFIG
    crlf: bool = False
    bom: bool = False
    link: str = ""  # "file": credentials is a link into a dotfiles folder; "folder": ~/.aws is
    refused: str = ""  # what every command says instead (the file is one botocore refuses)
    commands: tuple[str, ...] = ("save", "unsave", "rotate", "import")
    key_in: str = "credentials"  # the file default's long-lived key is in
    notes: dict[str, str] = field(default_factory=dict)


SHAPES: dict[str, Shape] = {
    "plain": Shape(f"{DEFAULT}\n{BOT}"),
    "header comments": Shape(
        f"# my keys\n{DEFAULT.replace('[default]', '[default] # the main account')}\n"
        f"{BOT.replace('[bot]', '[bot]   ; the build bot')}",
        "[default] ; home\nregion = us-east-1\n[profile bot] # ci\nregion = eu-west-1\n",
    ),
    "header spaces and profile forms": Shape(
        f"{DEFAULT}[ spaced ]\naws_access_key_id = AKIAFAKESPACED000001\n"
        f"aws_secret_access_key = spaced/secret\n{BOT}",
        '[default]\nregion=us-east-1\n[profile   bot]\nregion = eu-west-1\n[profile "two words"]\n'
        "region = eu-west-2\n[ profile odd ]\nregion = ap-south-1\n[profilelegacy]\nregion = x\n",
    ),
    "option name case and colons": Shape(
        f"[default]\nAWS_ACCESS_KEY_ID = {LONG_KEY}\nAws_Secret_Access_Key: {LONG_SECRET}\n"
        f"{BOT.replace('aws_access_key_id', 'Aws_Access_Key_Id')}",
        "[default]\nREGION = us-east-1\n",
    ),
    "continuation lines": Shape(
        f"{DEFAULT}note = first\n  second\n\n  third\n{BOT}comment = a\n  [not-a-section]\n",
        "[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n"
        "  signature_version = s3v4\n",
    ),
    "comments everywhere": Shape(
        f"# top\n; also top\n\n{DEFAULT}# between\n\n  # indented\n{BOT}# last words\n",
        "# config\n[default]\n# a comment inside\nregion = us-east-1\n; end\n",
    ),
    "CRLF": Shape(f"# dos\n{DEFAULT}\n{BOT}", crlf=True),
    # botocore refuses a file that starts with a BOM, and so mfa: unsave a session another
    # tool left there (the Hypothesis test saves into such files too)
    "BOM in the credentials file": Shape(
        f"{DEFAULT}\n[legacy]\naws_access_key_id = ASIAOLDSESSION000001\n"
        "aws_secret_access_key = old\naws_session_token = old-token\n\n"
        f"{BOT}",
        bom=True,
        commands=("unsave",),
    ),
    "empty credentials file": Shape(
        "", DEFAULT_IN_CONFIG, key_in="config", commands=("save", "unsave", "rotate")
    ),
    "no credentials file": Shape(
        None, DEFAULT_IN_CONFIG, key_in="config", commands=("save", "unsave", "rotate")
    ),
    "no final newline": Shape(f"{DEFAULT}\n{BOT}".rstrip("\n"), commands=("save", "rotate")),
    "a profile in both files": Shape(
        f"{DEFAULT}[legacy]\naws_access_key_id = ASIAOLDSESSION000001\n"
        "aws_secret_access_key = old\naws_session_token = old-token\n# keep me\n\n"
        f"{BOT}",
        f"{CONFIG}[profile legacy]\nregion = eu-west-1\noutput = json\n"
        "[profile bot]\noutput = text\n",
    ),
    "credentials behind a link": Shape(f"{DEFAULT}\n{BOT}", link="file"),
    "~/.aws behind a link": Shape(f"{DEFAULT}\n{BOT}", link="folder"),
    "duplicate sections": Shape(
        f"{DEFAULT}\n{BOT}\n{BOT}",
        refused="line 9 repeats a section header (botocore refuses the file too)",
        commands=("save", "rotate", "import"),
    ),
    "a stray line": Shape(
        f"{DEFAULT}{STRAY}\n\n{BOT}",
        refused="line 4 is not a [section], name = value or comment",
        commands=("save", "rotate", "import"),
    ),
}
COMMANDS = ("save", "unsave", "rotate", "import")
CASES = [
    pytest.param(name, command, id=f"{name}-{command}")
    for name, shape in SHAPES.items()
    for command in COMMANDS
    if command in shape.commands
]


def botocore_view(path: Path) -> dict[str, Any]:
    """What botocore reads in ``path`` (a BOM taken off: botocore refuses such a file)."""
    if not path.exists():
        return {}
    data = path.read_bytes().removeprefix("\ufeff".encode())
    copy = path.parent.parent / f"{path.name}.botocore-view"
    copy.write_bytes(data)
    try:
        view: dict[str, Any] = raw_config_parse(str(copy))
        return view
    finally:
        copy.unlink()


HEADER = re.compile(r"\[(?P<header>.+)\]")  # configparser's SECTCRE


def section_lines(lines: list[str], header: str) -> tuple[int, int] | None:
    """Where ``[header]`` starts and the next header starts (a blank line before it, the
    separator of an appended section, counted in)."""
    names = {
        i: match.group("header")
        for i, line in enumerate(lines)
        if line[:1] == "[" and (match := HEADER.match(line.strip())) is not None
    }
    starts = sorted(names)
    mine = [i for i in starts if names[i] == header]
    if not mine:
        return None
    start = mine[-1]
    end = next((i for i in starts if i > start), len(lines))
    if start > 0 and not lines[start - 1].strip():
        start -= 1
    return start, end


def split(data: bytes) -> list[str]:
    return data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n").splitlines(True)


def assert_only_section_changed(before: bytes, after: bytes, header: str) -> None:
    """Every byte outside ``[header]`` as it was (line ends compared as lines)."""
    if before == after:
        return
    assert before.startswith("\ufeff".encode()) == after.startswith("\ufeff".encode())
    assert (b"\r\n" in before) <= (b"\r\n" in after), "CRLF kept"
    old, new = split(before), split(after)
    if before and not before.endswith(b"\n"):
        old[-1] += "\n"  # a file with no final line end gets one
    old_range, new_range = section_lines(old, header), section_lines(new, header)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, False).get_opcodes():
        if tag == "equal":
            continue
        for (first, last), found in (((i1, i2), old_range), ((j1, j2), new_range)):
            if first == last:  # lines only added, or only removed: the other side says where
                inside = found is None or found[0] <= first <= found[1]
            else:
                inside = found is not None and found[0] <= first and last <= found[1]
            assert inside, f"lines {first}-{last} outside [{header}] changed ({tag})"


def encoded(text: str, shape: Shape, *, bom: bool = False) -> bytes:
    if shape.crlf:
        text = text.replace("\n", "\r\n")
    return (("\ufeff" if bom else "") + text).encode()


def lay_out(shape: Shape, home: Home, tmp_path: Path) -> None:
    """The two files of ``shape`` in the home, behind links where it says so."""
    aws = home.aws_credentials.parent
    if shape.link == "folder":
        target = tmp_path / "dotfiles" / "aws"
        target.mkdir(parents=True)
        aws.symlink_to(target)
    else:
        aws.mkdir()
    home.aws_config.write_bytes(encoded(shape.config, shape))
    if shape.credentials is None:
        return
    if shape.link == "file":
        target = tmp_path / "dotfiles" / "aws-credentials"
        target.parent.mkdir(parents=True)
        target.write_bytes(encoded(shape.credentials, shape, bom=shape.bom))
        target.chmod(0o640)
        home.aws_credentials.symlink_to(target)
    else:
        home.aws_credentials.write_bytes(encoded(shape.credentials, shape, bom=shape.bom))
        home.aws_credentials.chmod(0o600)


@pytest.fixture
def fake(fake_aws: FakeAws, home: Home, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeAws:
    """The fake AWS answering everything these commands ask; home's files left to the test."""
    home.aws_credentials.unlink()
    home.aws_config.unlink()
    home.aws_config.parent.rmdir()
    fake_aws.answers.update(
        GetSessionToken=session_token_reply(),
        GetCallerIdentity=identity_reply(),
        ListAccessKeys=access_keys_reply(LONG_KEY),
        CreateAccessKey=new_access_key_reply(NEW_KEY, NEW_SECRET),
        DeleteAccessKey=empty_reply("DeleteAccessKey"),
    )
    write_config(home, f'[profiles.default]\nserial = "{SERIAL}"\ntotp = "command:echo 123456"\n')
    return fake_aws


def run_command(mfaenv: Mfa, command: str, shape: Shape) -> Any:
    if command == "save":
        return mfaenv.mfa("123456", "--serial", SERIAL, "--save-as", "legacy")
    if command == "unsave":
        if "[legacy]" not in (shape.credentials or ""):
            saved = mfaenv.mfa("123456", "--serial", SERIAL, "--save-as", "legacy")
            assert saved.status == 0, saved.stderr
        return mfaenv("unsave", "legacy")
    if command == "rotate":
        return mfaenv("rotate-key")
    return mfaenv("keys", "import", "--profile", "bot", "--store", "keyring")


def edited(command: str, shape: Shape) -> dict[str, str]:
    """The section each file may have changed in (by file: credentials, config)."""
    if command in ("save", "unsave"):
        return {"credentials": "legacy", "config": "profile legacy"}
    if command == "rotate":
        return {shape.key_in: "default"}
    return {"credentials": "bot", "config": "profile bot"}


@pytest.mark.parametrize(("shape_name", "command"), CASES)
def test_every_writing_command_on_every_shape_of_the_files_keeps_what_it_was_not_asked_to_change(
    shape_name: str,
    command: str,
    mfaenv: Mfa,
    fake: FakeAws,
    home: Home,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    keyring_file: Any,
) -> None:
    shape = SHAPES[shape_name]
    lay_out(shape, home, tmp_path)
    files = {"credentials": home.aws_credentials, "config": home.aws_config}
    before = {name: path.read_bytes() if path.exists() else b"" for name, path in files.items()}
    modes = {
        name: stat.S_IMODE(path.stat().st_mode) for name, path in files.items() if path.exists()
    }
    views = {name: botocore_view(path) for name, path in files.items()} if not shape.refused else {}

    run = run_command(mfaenv, command, shape)

    for secret in SECRETS:
        assert secret not in run.stderr
    for secret in LONG_LIVED_SECRETS:
        assert secret not in run.stdout
    if shape.refused:
        assert (run.status, run.stdout) == (1, "")
        assert run.stderr.startswith("mfaenv: ")
        assert run.stderr.count("\n") == 1
        if command != "rotate":  # rotate-key: botocore, reading the key, refuses first
            assert run.stderr == f"mfaenv: cannot read {home.aws_credentials}: {shape.refused}\n"
        assert {n: p.read_bytes() for n, p in files.items()} == before
        assert "GetSessionToken" not in fake.actions(), "no code spent"
        return
    assert run.status == 0, run.stderr
    if command != "save":
        assert run.stdout == ""
    changed = edited(command, shape)
    for name, path in files.items():
        after = path.read_bytes() if path.exists() else b""
        header = changed.get(name, "")
        if command == "rotate" and name == shape.key_in:
            assert after == before[name].replace(LONG_KEY.encode(), NEW_KEY.encode()).replace(
                LONG_SECRET.encode(), NEW_SECRET.encode()
            ), "only the key's two values changed"
        elif command == "unsave" and "legacy" not in before[name].decode("utf-8"):
            assert after == before[name], "save then unsave: the same bytes"
        else:
            assert_only_section_changed(before[name], after, header)
        view = botocore_view(path)
        others = set(views[name]) | set(view)
        assert {s: view.get(s) for s in others if s != header} == {
            s: views[name].get(s) for s in others if s != header
        }, f"botocore reads the other sections of {name} as before"
        if name in modes:
            assert stat.S_IMODE(path.stat().st_mode) == modes[name], "the mode kept"
        leftovers = [p.name for p in path.resolve().parent.iterdir() if p.name.endswith(".tmp")]
        assert leftovers == []
    if shape.link == "file":
        assert home.aws_credentials.is_symlink(), "the link stays a link"
    if shape.link == "folder":
        assert home.aws_credentials.parent.is_symlink()
    if command == "save":
        saved = botocore_view(home.aws_credentials)["legacy"]
        assert (saved["aws_access_key_id"], saved["aws_session_token"]) == (
            SESSION_KEY,
            SESSION_TOKEN,
        )
        profiles = build_profile_map(botocore_view(home.aws_config))["profiles"]
        expected_region = "eu-west-1" if shape_name == "a profile in both files" else "us-east-1"
        assert profiles["legacy"]["region"] == expected_region, (
            "the session's region (or the user's)"
        )


# --- every header form, read as botocore reads it ------------------------------------------

HEADER_FORMS = [
    "[default]",
    "[default] # a comment",
    "[default]   ; a comment",
    "[ default ]",
    "[profile dev]",
    "[profile   dev]",
    "[profile\tdev]",
    "[profile dev] # a comment",
    '[profile "dev ops"]',
    "[profile 'dev ops']",
    "[ profile dev ]",
    "[profiledev]",
    "[profile dev extra]",
    '[profile "unclosed]',
    "[sso-session corp]",
    "[services dev]",
    "[a]b]",
    "[[dev]]",
    "[dev] [x]",
]


@pytest.mark.parametrize("header", HEADER_FORMS)
@pytest.mark.parametrize("is_config", [True, False], ids=["config", "credentials"])
def test_every_header_form_is_read_as_botocore_reads_it(
    header: str, is_config: bool, tmp_path: Path
) -> None:
    text = (
        f"# top\n{header}\nAWS_Access_Key_ID = AKIAFAKE\nregion: eu-west-1\n  more\n[other]\nk=v\n"
    )
    path = tmp_path / "file"
    path.write_text(text)
    mine = AwsFile.parse(str(path), text.encode(), is_config=is_config)
    theirs = raw_config_parse(str(path))
    assert mine.sections == theirs
    if is_config:
        assert mine.profiles() == build_profile_map(theirs)["profiles"]
    else:
        assert mine.profiles() == theirs
    for profile, values in mine.profiles().items():
        assert mine.values(profile) == values


def test_a_file_botocore_cannot_read_is_named_by_line_never_quoted(tmp_path: Path) -> None:
    for text, line in (
        (f"[a]\nk = 1\n{STRAY}\n", 3),
        (f"{STRAY} = x\n[a]\n", 1),
        ("[a]\nk = 1\nK = 2\n", 3),
    ):
        path = tmp_path / "file"
        path.write_text(text)
        with pytest.raises(Exception) as botocore_error:
            raw_config_parse(str(path))
        assert botocore_error.type.__name__ == "ConfigParseError"
        from mfaenv.errors import MfaEnvError

        with pytest.raises(MfaEnvError) as mine:
            AwsFile.parse(str(path), text.encode(), is_config=False)
        assert f"cannot read {path}: line {line} " in str(mine.value)
        assert STRAY not in str(mine.value)


# --- Hypothesis: save then unsave, on files in botocore's grammar ------------------------------

NAMES = st.text(string.ascii_lowercase + string.digits + "-_.", min_size=1, max_size=8).filter(
    lambda name: name not in ("legacy", "default")
)
OPTIONS = st.sampled_from(
    ["aws_access_key_id", "aws_secret_access_key", "region", "output", "note", "source_profile"]
)
VALUES = st.text(string.ascii_letters + string.digits + "/+=-_.:#; []", max_size=16).map(str.strip)
COMMENTS = st.sampled_from(["# a comment", "; another", "#", "  # indented", ""])


@st.composite
def aws_file(draw: st.DrawFn, *, is_config: bool) -> bytes:
    """A file in botocore's grammar: header forms, comments, option case, delimiters,
    continuation lines, blank lines; LF or CRLF; a BOM or not."""
    lines = draw(st.lists(COMMENTS, max_size=2))
    names = draw(st.lists(NAMES, max_size=4, unique=True))
    if is_config and draw(st.booleans()):
        names = ["default", *names]
    for name in names:
        section = name if not is_config or name == "default" else f"profile {name}"
        if is_config and section != "default" and draw(st.booleans()):
            section = f"profile   {name}"
        lines.append(f"[{section}]" + draw(st.sampled_from(["", " # c", "   ; c"])))
        options = draw(st.lists(OPTIONS, max_size=4, unique=True))
        for option in options:
            spelled = draw(st.sampled_from([str.lower, str.upper, str.title]))(option)
            delimiter = draw(st.sampled_from([" = ", "=", ": ", "  =  "]))
            value = draw(VALUES)
            lines.append(f"{spelled}{delimiter}{value}")
            if draw(st.integers(0, 4)) == 0:
                lines.append("  " + draw(VALUES.filter(bool)))  # a continuation line
            lines += draw(st.lists(COMMENTS, max_size=1))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = "".join(line + newline for line in lines)
    return (("\ufeff" if draw(st.booleans()) else "") + text).encode()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(credentials=aws_file(is_config=False), config=aws_file(is_config=True))
def test_save_then_unsave_gives_back_the_same_bytes_and_every_other_profile(
    credentials: bytes, config: bytes, home: Home, tmp_path: Path
) -> None:
    from conftest import FakeClock

    from mfaenv import saveas
    from mfaenv.session import Credentials, Session

    home.aws_credentials.parent.mkdir(exist_ok=True)
    home.aws_credentials.write_bytes(credentials)
    home.aws_config.write_bytes(config)
    files = {"credentials": home.aws_credentials, "config": home.aws_config}
    try:
        views = {name: botocore_view(path) for name, path in files.items()}
    except ConfigParseError:
        assume(False)  # an empty value then an indented line without "=": botocore refuses
    session = Session(
        "default",
        Credentials(SESSION_KEY, SESSION_SECRET, SESSION_TOKEN),
        2_000_000_000,
        SERIAL,
        region="eu-west-1",
    )
    cache = tempfile.mkdtemp(dir=tmp_path)
    clock = FakeClock()

    saveas.save(session, "legacy", cache, "default", clock)
    saved = {name: botocore_view(path) for name, path in files.items()}
    assert saved["credentials"].pop("legacy")["aws_session_token"] == SESSION_TOKEN
    assert build_profile_map(saved["config"])["profiles"]["legacy"] == {"region": "eu-west-1"}
    saved["config"] = {k: v for k, v in saved["config"].items() if k != "profile legacy"}
    assert saved == views, "botocore reads every other profile as before"

    saveas.unsave("legacy", cache, clock)
    assert home.aws_credentials.read_bytes() == credentials
    assert home.aws_config.read_bytes() == config
