"""The mfaenv config file: read strictly, and every mistake named with its file and line."""

from __future__ import annotations

import pytest
from conftest import Home, Mfa
from fakeaws import SERIAL, FakeAws


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("duration = \n", "Invalid value (at line 1, column 12)"),
        (
            '[profiles.dev]\nserial = "a"\nbogus = 1\n',
            "unknown key 'bogus' in [profiles.dev] "
            "(known: auto, duration, keys, prompt, role_mode, save_as, serial, totp)",
        ),
        (
            'duraton = "8h"\n',
            "unknown key 'duraton' in the top level (known: auto, duration, follow, prompt)",
        ),
        ('duration = "forever"\n', "duration in the top level cannot read duration 'forever'"),
        (
            '[profiles.dev]\nduration = "40h"\n',
            "duration in [profiles.dev] duration 40h is outside what AWS allows",
        ),
        ("profiles = 3\n", "profiles must be a table"),
        ("duration = true\n", 'duration in the top level must be text like "12h"'),
        (
            '[profiles.dev]\ntotp = "vault:x"\n',
            "totp in [profiles.dev] cannot read TOTP source 'vault:x'",
        ),
        ('prompt = "popup"\n', 'prompt in the top level must be "terminal", "dialog" or "none"'),
        (
            '[profiles.dev]\nrole_mode = "chained"\n',
            'role_mode in [profiles.dev] must be "chain", "direct" or "auto"',
        ),
    ],
)
def test_a_config_mistake_names_the_file_and_changes_nothing(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, text: str, message: str
) -> None:
    path = home.config / "mfaenv" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    before = home.files()
    run = mfaenv.mfa("123456", "--serial", SERIAL)
    assert run.stdout == "" and run.status == 1
    assert run.stderr.startswith(f"mfaenv: {path}: ")
    assert message in run.stderr
    assert run.stderr.count("\n") == 1
    assert fake_aws.requests == []
    assert home.files() == before
