"""Time a credential fetch from `mfa exec --server` against `mfaenv credential-process`.

Run:  python benchmarks/server.py [--rounds N]

With this checkout's interpreter (the one running this script). HOME, the XDG
directories and the AWS files live in a temporary directory, with a cached MFA session of
12 hours; AWS_ENDPOINT_URL points at a closed local port, so anything that called AWS
would fail instead of looking fast. The script runs itself as the command of
`mfaenv exec --server`, and there, round after round, in an order that turns by one each
round (after a warm-up round):

  python -c pass             a process that does nothing: the floor of any process
  credential-process         `mfaenv credential-process --profile default`, as an SDK
                             runs it from credential_process, served from the cache
  fetch                      one GET from the endpoint on a new connection, with the
                             token, the JSON read and parsed (what an SDK does)
  fetch, cache changed       the same just after a session was written to the cache:
                             the server reads the cache again

Prints the medians and their ratios; the goal (issue 22) is a fetch at most 0.15 of a
credential-process run. Exits 0 unless the setup fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
GOAL = 0.15


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def setup(root: Path) -> dict[str, str]:
    """A home with a cached 12-hour MFA session of profile default."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "MFAENV_", "__MFAENV"))
    }
    env.update(
        HOME=str(root),
        XDG_CACHE_HOME=str(root / ".cache"),
        XDG_CONFIG_HOME=str(root / ".config"),
        AWS_CONFIG_FILE=str(root / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(root / ".aws" / "credentials"),
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}",
        AWS_EC2_METADATA_DISABLED="true",
        MFAENV_NO_PROMPT="1",
    )
    (root / ".aws").mkdir()
    (root / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIABENCHLONGLIVED01\naws_secret_access_key = x\n"
    )
    (root / ".aws" / "config").write_text("[default]\nregion = us-east-1\n")
    save = (
        "import sys, time\n"
        "from mfaenv.cache import Cache\n"
        "from mfaenv.session import Credentials, Session, fingerprint\n"
        "Cache().save_session(Session('default', Credentials('ASIABENCHSESSION0001', "
        "'bench/secret', 'bench-token'), int(time.time()) + 12 * 3600, "
        "'arn:aws:iam::111122223333:mfa/bench', 'arn:aws:iam::111122223333:user/bench', "
        "source=fingerprint('AKIABENCHLONGLIVED01'), region='us-east-1'))\n"
    )
    subprocess.run([sys.executable, "-c", save], env=env, check=True, cwd=REPO)
    return env


def mfaenv_command() -> list[str]:
    script = Path(sys.executable).parent / "mfaenv"
    return [str(script)] if script.exists() else [sys.executable, "-m", "mfaenv"]


def run(argv: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv[-3:]} failed: {done.stderr.decode(errors='replace')}")
    return elapsed


def fetch(uri: str, token: str) -> float:
    parts = urlsplit(uri)
    started = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    conn.request("GET", parts.path, headers={"Authorization": token})
    reply = conn.getresponse()
    document = json.loads(reply.read())
    conn.close()
    elapsed = time.perf_counter() - started
    if reply.status != 200 or "AccessKeyId" not in document:
        raise SystemExit(f"the endpoint answered {reply.status}")
    return elapsed


def touch_cache() -> None:
    """Write the cached session again (a new file, as mfaenv writes it)."""
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "mfaenv" / "sessions"
    path = cache / "default.json"
    data = path.read_bytes()
    temp = cache / ".bench-rewrite"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    temp.replace(path)


def client(rounds: int, page: Path | None) -> None:
    """Inside `mfaenv exec --server`: time each row, round-robin."""
    uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    process = [*mfaenv_command(), "credential-process", "--profile", "default"]

    def changed() -> float:
        touch_cache()
        return fetch(uri, token)

    rows = {
        "python -c pass": lambda: run([sys.executable, "-c", "pass"]),
        "credential-process": lambda: run(process),
        "fetch": lambda: fetch(uri, token),
        "fetch, cache changed": changed,
    }
    names = list(rows)
    times: dict[str, list[float]] = {name: [] for name in names}
    for turn in range(rounds + 1):
        for i in range(len(names)):
            name = names[(turn + i) % len(names)]
            elapsed = rows[name]()
            if turn > 0:  # the first round warms up
                times[name].append(elapsed)
    median = {name: statistics.median(values) for name, values in times.items()}
    floor, process_time = median["python -c pass"], median["credential-process"]
    print(f"A credential fetch from `mfa exec --server` ({rounds} rounds, medians)")
    print(f"{'':24}{'ms':>9}{'x python -c pass':>19}{'x credential-process':>23}")
    for name in names:
        value = median[name]
        print(f"{name:24}{value * 1000:9.2f}{value / floor:19.3f}{value / process_time:23.3f}")
    ratio = median["fetch"] / process_time
    verdict = "met" if ratio <= GOAL else "MISSED"
    goal = f"goal: a fetch at most {GOAL} of a credential-process run: {ratio:.3f}, {verdict}"
    print(f"\n{goal}")
    if page is not None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from mdpage import machine, table, write_block

        table_rows = [
            [
                f"`{name}`" if name != "fetch, cache changed" else "fetch, the cache file changed",
                f"{median[name] * 1000:.2f}",
                f"{median[name] / floor:.3f}",
                f"{median[name] / process_time:.3f}",
            ]
            for name in names
        ]
        headers = ["", "ms", "x `python -c pass`", "x credential-process"]
        lines = [machine(), "", *table(headers, table_rows), "", goal[0].upper() + goal[1:] + "."]
        write_block(page, "server", lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--markdown", type=Path, metavar="PAGE", help="also write into PAGE")
    args = parser.parse_args()
    if args.client:
        client(args.rounds, args.markdown)
        return 0
    with tempfile.TemporaryDirectory(prefix="mfaenv-bench-server-") as tmp:
        env = setup(Path(tmp))
        me = [sys.executable, str(Path(__file__).resolve()), "--client", "--rounds"]
        me = [*me, str(args.rounds)]
        if args.markdown is not None:
            me += ["--markdown", str(args.markdown.resolve())]
        argv = [*mfaenv_command(), "exec", "--server", "--profile", "default", "--"]
        done = subprocess.run([*argv, *me], env=env, check=False)
        return done.returncode


if __name__ == "__main__":
    sys.exit(main())
