"""Never lose a key when others write the AWS files at the same moment (issue 20), with real
processes, bounded in count and time: several mfaenv writers at once (some through a link
to the file, some by its own path), and a program that rewrites the file in place, as
editors and older tools do, while mfaenv saves."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from botocore.configloader import raw_config_parse
from conftest import Home

ORIGINAL = (
    "# keys of every account\n"
    "[default]\naws_access_key_id = AKIAFAKELONGLIVED001\naws_secret_access_key = long/lived\n"
    "\n[bot] ; the build bot\naws_access_key_id = AKIAFAKEBOTKEY000001\n"
    "aws_secret_access_key = bot/secret\n"
)
WORKERS = 4
ROUNDS = 6

# One mfaenv writer: saves ROUNDS sessions under names of its own, then unsaves them all.
WRITER = """
import sys
from mfaenv import saveas
from mfaenv.errors import MfaEnvError
from mfaenv.session import Credentials, Session

worker, rounds, cache, unsave = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
names = []
for r in range(rounds):
    name = f"w{worker}-r{r}"
    session = Session("default", Credentials(f"ASIAW{worker}R{r}", "s", "t"), 2000000000,
                      "arn:aws:iam::111122223333:mfa/alice", region="eu-west-1")
    try:
        saveas.save(session, name, cache, f"cache-{worker}")
    except MfaEnvError as err:
        print("refused", err, flush=True)
        continue
    print("saved", name, flush=True)
    names.append(name)
if unsave:
    for name in names:
        saveas.unsave(name, cache)
        print("unsaved", name, flush=True)
"""

# A program that rewrites the file in place (open, truncate, write in small pieces), adding a
# section each time; a rewrite that went to a file mfaenv had meanwhile replaced does not
# count as landed, and is made again on the file as it is.
IN_PLACE = """
import os, random, sys, time
path, stop = sys.argv[1], sys.argv[2]
random.seed(20)
k = 0
while not os.path.exists(stop) or k < 3:
    fd = os.open(path, os.O_RDWR)
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    new = data + f"\\n[writer-{k}]\\naws_access_key_id = AKIAWRITER{k:010d}\\n".encode()
    os.lseek(fd, 0, 0)
    os.ftruncate(fd, 0)
    for i in range(0, len(new), 64):
        os.write(fd, new[i:i + 64])
        time.sleep(0.002)
    landed = os.fstat(fd).st_ino == os.stat(path).st_ino
    os.close(fd)
    if landed:
        print(f"writer-{k}", flush=True)
        k += 1
    time.sleep(random.uniform(0.05, 0.25))
"""


def start(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 60) -> list[str]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    assert err == ""
    return out.splitlines()


def sections(path: Path) -> dict[str, Any]:
    return raw_config_parse(str(path))  # type: ignore[no-any-return]


def test_parallel_mfaenv_writers_lose_no_section_and_leave_the_file_as_it_was(
    home: Home, tmp_path: Path, monkeypatch: Any
) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "credentials"
    target.write_text(ORIGINAL)
    target.chmod(0o600)
    home.aws_credentials.parent.mkdir()
    home.aws_credentials.symlink_to(target)
    writers = []
    for worker in range(WORKERS):
        # Half of them by the link, half by the file's own path: one lock all the same.
        path = home.aws_credentials if worker % 2 else target
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(path))
        cache = str(tmp_path / f"cache-{worker}")
        writers.append(start(WRITER, str(worker), str(ROUNDS), cache, "1"))
    began = time.monotonic()
    outputs = [finish(writer) for writer in writers]
    took = time.monotonic() - began

    saved = [line for out in outputs for line in out if line.startswith("saved ")]
    unsaved = [line for out in outputs for line in out if line.startswith("unsaved ")]
    assert len(saved) == len(unsaved) == WORKERS * ROUNDS, outputs
    assert target.read_text() == ORIGINAL, "every save and unsave landed: the same bytes"
    assert home.aws_credentials.is_symlink()
    assert [p.name for p in dotfiles.iterdir()] == ["credentials"], "no temporary file left"
    assert took < 60


def test_saves_while_another_program_rewrites_the_file_in_place_lose_no_section(
    home: Home, tmp_path: Path
) -> None:
    home.aws_credentials.parent.mkdir()
    home.aws_credentials.write_text(ORIGINAL)
    stop = tmp_path / "stop"
    rewriter = start(IN_PLACE, str(home.aws_credentials), str(stop))
    time.sleep(0.3)  # it is rewriting by now
    writers = [
        start(WRITER, str(worker), str(ROUNDS), str(tmp_path / f"cache-{worker}"), "0")
        for worker in range(2)
    ]
    outputs = [finish(writer) for writer in writers]
    stop.touch()
    landed = finish(rewriter)

    saved = [line.split()[1] for out in outputs for line in out if line.startswith("saved ")]
    refused = [line for out in outputs for line in out if line.startswith("refused ")]
    for line in refused:
        assert line == (
            f"refused {home.aws_credentials} kept changing while mfaenv was updating it "
            "(another program is writing it); nothing written: try again"
        )
    print(f"saves: {len(saved)} landed, {len(refused)} refused; rewrites: {len(landed)} landed")
    assert saved, f"no save landed in {len(refused)} tries"
    found = sections(home.aws_credentials)
    original = {"default", "bot"}
    missing = (original | set(saved) | set(landed)) - set(found)
    assert missing == set(), f"lost sections: {sorted(missing)}"
    assert found["default"] == {
        "aws_access_key_id": "AKIAFAKELONGLIVED001",
        "aws_secret_access_key": "long/lived",
    }
    assert home.aws_credentials.read_text().startswith(ORIGINAL)
