"""The whole classroom on one machine, from Debian's packages (no Docker): PostgreSQL, N app servers
and HAProxy in front of them. Start it, look at it, stop it:

    .venv/bin/python deploy/stack.py start [--servers 2] [--port 8500] [--http-port 8080]
        [--address 0.0.0.0] [--cert PEM] [--folder DIR] [--database-url URL] [--throwaway]
        [--slots K] [--data-dir DIR]
    .venv/bin/python deploy/stack.py status [--folder DIR]
    .venv/bin/python deploy/stack.py stop [--folder DIR]

Everything lives in one folder (default ~/.local/share/fmnist-classroom/stack, or under
$XDG_DATA_HOME): `stack.json` (its settings, ports and processes; it holds the database's password,
so only its owner may read it), the PostgreSQL cluster `postgres/` (as root, in the postgres user's
home instead, /var/lib/postgresql/fmnist-stack-…, since that user cannot reach root's), HAProxy's
`servers.cfg`, the balancer's self-signed certificate in `tls/` and the logs in `logs/`. The
students' address is the balancer's, https://<this machine>:<port>/.

- **PostgreSQL**: unless --database-url names one, a cluster of the stack's own (Debian's binaries
  in /usr/lib/postgresql/<version>/bin), on 127.0.0.1 with a password; initdb refuses to run as
  root, so as root the cluster runs as Debian's `postgres` user. It is kept across stops (the runs
  stay) unless --throwaway, which deletes it at `stop`.
- **App servers**: `streamlit run app.py` on 127.0.0.1 (only the balancer reaches them), one port
  each from port + 1 on, all with the same FMNIST_DATABASE_URL, data folder and cookie secret.
- **HAProxy**: deploy/haproxy.cfg and the servers' list; it serves HTTPS on --port (plain HTTP on
  --http-port only redirects there), sends each new browser to the least busy server and keeps it
  there (a cookie), and takes a server that fails its health check out. Its certificate: the PEM
  file (certificate, chain and key) that --cert or FMNIST_BALANCER_CERT names, else a self-signed
  one made with `openssl` in `tls/` (only its owner may read the key), good for a year and made
  anew a day before it ends; `tls/balancer.pem` links to the one in use.

`start` starts whatever is not running, so it also brings back a server that died; with more
--servers it adds them and reloads HAProxy without dropping a connection. Settings given once are
kept in stack.json for the next start. `stop` stops the app servers (letting them write what they
hold), HAProxy, then PostgreSQL. A port of 0 means a free one, chosen once.
"""

import argparse
import base64
import csv
import hashlib
import io
import ipaddress
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from glob import glob
from pathlib import Path

# Run as a script (deploy/stack.py), so the repository, and its tools/, is put on the path here.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.server import REPO, free_port, healthy  # noqa: E402

HAPROXY_CONFIG = REPO / "deploy" / "haproxy.cfg"
POSTGRES_USER = "postgres"  # Debian's; the cluster's files and processes are its own when run as root
DATABASE = "fmnist"
START_SECONDS = 120  # for an app server to warm up and answer its health check (TensorFlow waits)
STOP_SECONDS = 20
CERT_ENV = "FMNIST_BALANCER_CERT"  # a PEM file: the certificate, its chain and its key
CERT_DAYS = 365  # a self-signed certificate's life; made anew a day before it ends
DEFAULTS = {"servers": 2, "address": "0.0.0.0", "port": 8500, "http_port": 8080, "cert": None,
            "database_url": None, "throwaway": False, "slots": None, "data_dir": None, "stats_port": 0,
            "postgres_port": 0}
PORTS = ("port", "http_port", "stats_port", "postgres_port")


# ---------------------------------------------------------------- processes and ports

def alive(pid: int | None, marker: str) -> bool:
    """Whether `pid` runs (not a zombie) a command line that contains `marker`."""
    if not pid:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, IndexError):
        return False
    return state != "Z" and marker in command


def stop_process(pid: int | None, marker: str, sig: int = signal.SIGTERM) -> None:
    """Sends `sig` and waits for the end; kills the process after STOP_SECONDS."""
    if not alive(pid, marker):
        return
    os.kill(pid, sig)
    deadline = time.monotonic() + STOP_SECONDS
    while alive(pid, marker):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)


def balancer_view(stats_url: str) -> dict[str, str]:
    """What HAProxy makes of each app server ("UP", "DOWN", …), from its statistics; {} when it
    does not answer."""
    try:
        with urllib.request.urlopen(f"{stats_url};csv", timeout=2) as response:
            rows = list(csv.DictReader(io.TextIOWrapper(response, encoding="utf-8")))
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return {}
    return {row["svname"]: row["status"].split()[0] for row in rows
            if row["# pxname"] == "app_servers" and row["svname"] != "BACKEND"}


def launch(command: list, log: Path, env: dict | None = None, cwd: Path = REPO) -> int:
    """Starts `command` in a session of its own (it outlives this script), output to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(list(map(str, command)), cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True).pid


def secret_file(path: Path) -> str:
    """A random secret kept in `path` (only its owner may read it), made the first time."""
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(24))
    return path.read_text().strip()


# ---------------------------------------------------------------- the balancer

def balancer_env(address: str, port: int, http_port: int, stats_port: int, certificate: Path) -> dict:
    """HAProxy's environment for deploy/haproxy.cfg: HTTPS on `address`:`port` with `certificate`
    (a PEM file: certificate, chain, key), plain HTTP on `http_port` redirecting there, and its
    statistics on 127.0.0.1:`stats_port`."""
    return {**os.environ, "FMNIST_BALANCER_BIND": f"{address}:{port}",
            "FMNIST_BALANCER_HTTP_BIND": f"{address}:{http_port}",
            "FMNIST_BALANCER_HTTPS_PORT": str(port), CERT_ENV: str(certificate),
            "FMNIST_BALANCER_STATS": f"127.0.0.1:{stats_port}"}


def self_signed_certificate(folder: Path, names: list[str]) -> Path:
    """A self-signed certificate for `names` (host names and IP addresses) with its key, in one PEM
    file in `folder` that only its owner may read (self-signed.pem, as HAProxy loads it), the
    certificate alone beside it (self-signed.crt, for a client that should trust it). Made with
    Debian's `openssl` the first time, and again a day before it ends."""
    openssl = shutil.which("openssl")
    if openssl is None:
        sys.exit(f"openssl is not installed: apt-get install openssl (or name a certificate of your "
                 f"own with --cert or {CERT_ENV}).")
    pem, certificate, key = (folder / f"self-signed.{kind}" for kind in ("pem", "crt", "key"))
    if pem.exists() and certificate.exists() and subprocess.run(
            [openssl, "x509", "-checkend", "86400", "-noout", "-in", certificate],
            capture_output=True, timeout=30).returncode == 0:
        return pem
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in (key, pem):  # made for its owner only before anything secret is written in it
        path.unlink(missing_ok=True)
        path.touch(mode=0o600)
    subject_names = ",".join(f"IP:{name}" if is_address(name) else f"DNS:{name}"
                             for name in dict.fromkeys(names))
    result = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-sha256", "-days", str(CERT_DAYS), "-subj", "/CN=FMNIST classroom (self-signed)",
         "-addext", f"subjectAltName={subject_names}", "-keyout", key, "-out", certificate],
        capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        key.unlink()
        sys.exit(f"openssl could not make the balancer's certificate:\n{result.stderr}")
    pem.write_text(certificate.read_text() + key.read_text())
    key.unlink()
    return pem


def key_pin(certificate: Path) -> str | None:
    """The base64 SHA-256 of the certificate's public key (its SPKI), which a browser can be told
    to trust (Chromium: --ignore-certificate-errors-spki-list); None without `openssl`."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    key = subprocess.run([openssl, "x509", "-pubkey", "-noout", "-in", certificate],
                         capture_output=True, check=True, timeout=30).stdout
    der = subprocess.run([openssl, "pkey", "-pubin", "-outform", "der"], input=key,
                         capture_output=True, check=True, timeout=30).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def checked_certificate(path: Path) -> Path:
    """`path` if it is a PEM file with a certificate and a private key, as HAProxy wants it."""
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        sys.exit(f"The balancer's certificate {path} cannot be read: {error.strerror}.")
    if "-----BEGIN CERTIFICATE-----" not in text or "PRIVATE KEY-----" not in text:
        sys.exit(f"The balancer's certificate {path} must hold the certificate (then its chain) and "
                 f"its private key, in PEM: cat fullchain.pem privkey.pem > {path.name}.")
    return path


# ---------------------------------------------------------------- PostgreSQL

def postgres_bindir() -> Path:
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: [int(part) for part in path.split("/") if part.isdigit()])
    if not found:
        sys.exit("PostgreSQL's server is not installed: apt-get install postgresql (or give "
                 "--database-url).")
    return Path(found[-1]).parent


def cluster_folder(stack_folder: Path) -> Path:
    """Where the stack's cluster lives: in its folder; as root, in the postgres user's home (which
    it can reach, unlike root's), under a name of this stack's own."""
    if os.geteuid() != 0:
        return stack_folder / "postgres"
    digest = hashlib.sha256(str(stack_folder).encode()).hexdigest()[:12]
    return Path(pwd.getpwnam(POSTGRES_USER).pw_dir) / f"fmnist-stack-{digest}"


class Postgres:
    """The stack's own cluster in `folder`, on 127.0.0.1:`port`, as an unprivileged user; the app's
    password is kept in `password_file`."""

    def __init__(self, folder: Path, password_file: Path, port: int):
        self.folder, self.password_file, self.port = folder, password_file, port
        self.bindir = postgres_bindir()
        self.data, self.log = folder / "data", folder / "server.log"
        self.as_user = ["runuser", "-u", POSTGRES_USER, "--"] if os.geteuid() == 0 else []

    @property
    def password(self) -> str:
        return secret_file(self.password_file)

    @property
    def url(self) -> str:
        return f"postgresql://fmnist:{self.password}@127.0.0.1:{self.port}/{DATABASE}"

    def running(self) -> bool:
        return self.data.is_dir() and self._run("pg_ctl", "-D", self.data, "status", check=False) == 0

    def start(self) -> None:
        if not self.data.is_dir():
            self._make_cluster()
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                  f"-c unix_socket_permissions=0700", "start")

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def _make_cluster(self) -> None:
        """initdb; the superuser is reached only through the cluster's own socket folder, the
        app's role `fmnist` with its password over TCP. Made on a server with no TCP at all."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.as_user:
            shutil.chown(self.folder, POSTGRES_USER, POSTGRES_USER)
        self._run("initdb", "-D", self.data, "-U", POSTGRES_USER, "-E", "UTF8", "--locale=C",
                  "--auth-local=trust", "--auth-host=scram-sha-256")
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-o",
                  f"-k {self.folder} -c listen_addresses='' -c unix_socket_permissions=0700", "start")
        for statement in (f"CREATE ROLE fmnist LOGIN PASSWORD '{self.password}'",
                          f"CREATE DATABASE {DATABASE} OWNER fmnist"):
            self._run("psql", "-h", self.folder, "-U", POSTGRES_USER, "-d", "postgres", "-q",
                      "-v", "ON_ERROR_STOP=1", "-c", statement)
        self._run("pg_ctl", "-D", self.data, "-w", "stop")

    def _run(self, program: str, *arguments, check: bool = True) -> int:
        command = [*self.as_user, str(self.bindir / program), *map(str, arguments)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd="/")
        if check and result.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
        return result.returncode


# ---------------------------------------------------------------- the stack

class Stack:
    def __init__(self, folder: Path):
        self.folder, self.file = folder, folder / "stack.json"
        self.state = json.loads(self.file.read_text()) if self.file.exists() else {}

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.file.touch(mode=0o600)
        self.file.write_text(json.dumps(self.state, indent=2) + "\n")

    @property
    def settings(self) -> dict:
        return {**DEFAULTS, **self.state.get("settings", {})}

    def postgres(self) -> Postgres | None:
        if self.settings["database_url"]:
            return None
        return Postgres(Path(self.state["postgres_folder"]), self.folder / "postgres-password",
                        self.state["postgres_port"])

    def start(self, given: dict) -> None:
        settings = self.settings | {name: value for name, value in given.items() if value is not None}
        self.state["settings"] = settings
        for name in PORTS:
            self.state[name] = self.state.get(name) or settings[name] or free_port()
        self.state.setdefault("postgres_folder", str(cluster_folder(self.folder)))
        self.save()
        postgres = self.postgres()
        if postgres is not None and not postgres.running():
            postgres.start()
        self.state["database_url"] = settings["database_url"] or postgres.url
        servers = self.state.setdefault("servers", [])
        for number in range(len(servers) + 1, settings["servers"] + 1):
            port = self.state["port"] + number if settings["port"] else free_port()
            servers.append({"name": f"app{number}", "port": port, "pid": None})
        started = [server for server in servers if not alive(server["pid"], "streamlit")]
        for server in started:
            server["pid"] = launch(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", server["port"],
                 "--server.address", "127.0.0.1", "--server.headless", "true"],
                self.folder / "logs" / f"{server['name']}.log", self._app_env())
            server["url"] = f"http://127.0.0.1:{server['port']}"
        self.save()
        self._start_balancer()
        deadline = time.monotonic() + START_SECONDS
        for server in started:
            while not healthy(server["url"]):
                if not alive(server["pid"], "streamlit") or time.monotonic() > deadline:
                    sys.exit(f"{server['name']} did not come up; see {self.folder}/logs/{server['name']}.log")
                time.sleep(0.5)
        while set(balancer_view(self.state["stats_url"]).values()) != {"UP"}:
            if not alive(self.state["haproxy_pid"], "haproxy"):
                sys.exit(f"HAProxy stopped; see {self.folder}/logs/haproxy.log")
            if time.monotonic() > deadline:
                sys.exit(f"the balancer does not send to every server: "
                         f"{balancer_view(self.state['stats_url'])}; see {self.folder}/logs")
            time.sleep(0.2)
        print(f"The classroom is at {self.state['url']}/ ({len(servers)} app servers; the "
              f"balancer's view of them at {self.state['stats_url']}).", file=sys.stderr)

    def _app_env(self) -> dict:
        settings = self.settings
        env = {**os.environ, "FMNIST_DATABASE_URL": self.state["database_url"], "TF_CPP_MIN_LOG_LEVEL": "2",
               # The same on every server: a signed cookie made by one is good on the others.
               "STREAMLIT_SERVER_COOKIE_SECRET": secret_file(self.folder / "cookie-secret")}
        if settings["data_dir"]:
            env["FMNIST_DATA_DIR"] = str(Path(settings["data_dir"]).resolve())
        if settings["slots"]:
            env["FMNIST_TRAINING_SLOTS"] = str(settings["slots"])
        return env

    def _start_balancer(self) -> None:
        """HAProxy, master and worker: a changed servers' list is reloaded (SIGUSR2), the open
        websockets staying on the old worker until they close."""
        servers = self.folder / "servers.cfg"
        listing = "backend app_servers from streamlit\n" + "".join(
            f"    server {server['name']} 127.0.0.1:{server['port']} cookie {server['name']}\n"
            for server in self.state["servers"])
        changed = not servers.exists() or servers.read_text() != listing
        servers.write_text(listing)
        address = self.settings["address"]
        shown = "127.0.0.1" if address in ("0.0.0.0", "::") else address
        self.state["url"] = f"https://{shown}:{self.state['port']}"
        self.state["http_url"] = f"http://{shown}:{self.state['http_port']}"
        self.state["stats_url"] = f"http://127.0.0.1:{self.state['stats_port']}/"
        certificate = self._certificate(address)
        digest = hashlib.sha256(certificate.read_bytes()).hexdigest()
        changed |= digest != self.state.get("certificate_digest")
        self.state["certificate_digest"] = digest
        self.state["certificate_spki"] = key_pin(certificate)
        pid = self.state.get("haproxy_pid")
        if alive(pid, "haproxy"):
            if changed:
                os.kill(pid, signal.SIGUSR2)
        else:
            env = balancer_env(address, self.state["port"], self.state["http_port"],
                               self.state["stats_port"], certificate)
            self.state["haproxy_pid"] = launch(
                [shutil.which("haproxy") or "/usr/sbin/haproxy", "-W", "-db", "-f", HAPROXY_CONFIG,
                 "-f", servers], self.folder / "logs" / "haproxy.log", env)
        self.save()

    def _certificate(self, address: str) -> Path:
        """The PEM file HAProxy serves, always tls/balancer.pem (a reload reads it again): a link to
        the one --cert or FMNIST_BALANCER_CERT named, else to the stack's self-signed one."""
        tls = self.folder / "tls"
        tls.mkdir(mode=0o700, parents=True, exist_ok=True)
        given = self.settings["cert"]
        if given:
            target = checked_certificate(Path(given))
        else:
            names = ["localhost", socket.gethostname(), "127.0.0.1", "::1"]
            target = self_signed_certificate(tls, names + ([] if address in ("0.0.0.0", "::") else [address]))
        link, new_link = tls / "balancer.pem", tls / "balancer.pem.new"
        new_link.unlink(missing_ok=True)
        new_link.symlink_to(target)
        new_link.replace(link)
        return link

    def stop(self) -> None:
        for server in self.state.get("servers", []):
            stop_process(server["pid"], "streamlit")
        stop_process(self.state.get("haproxy_pid"), "haproxy", signal.SIGUSR1)  # soft stop
        if self.state.get("settings"):
            postgres = self.postgres()
            if postgres is not None:
                postgres.stop()
                if self.settings["throwaway"]:
                    shutil.rmtree(postgres.folder, ignore_errors=True)
                    postgres.password_file.unlink(missing_ok=True)
                    self.state.pop("database_url", None)
        self.save()

    def status(self) -> dict:
        postgres = self.postgres() if self.state.get("settings") else None
        return {"url": self.state.get("url"), "http_url": self.state.get("http_url"),
                "stats_url": self.state.get("stats_url"),
                "postgres_folder": None if postgres is None else str(postgres.folder),
                "balancer": alive(self.state.get("haproxy_pid"), "haproxy")
                and balancer_view(self.state["stats_url"]),
                "database": "external" if postgres is None else postgres.running(),
                "servers": {server["name"]: alive(server["pid"], "streamlit") and healthy(server["url"])
                            for server in self.state.get("servers", [])}}


def default_folder() -> Path:
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share")
    return data_home / "fmnist-classroom" / "stack"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "status", "stop"])
    parser.add_argument("--folder", type=Path, default=default_folder())
    parser.add_argument("--servers", type=int, help="app servers (default 2)")
    parser.add_argument("--address", help="where the balancer listens (default 0.0.0.0: every network)")
    parser.add_argument("--port", type=int,
                        help="the balancer's HTTPS port (default 8500; the app servers take the next ones)")
    parser.add_argument("--http-port", type=int,
                        help="the balancer's plain HTTP port, which only redirects to HTTPS (default 8080)")
    parser.add_argument("--cert", default=os.environ.get(CERT_ENV),
                        help=f"the balancer's certificate: a PEM file with the certificate, its chain and "
                        f"its private key (default ${CERT_ENV}, else a self-signed one in the stack's "
                        f"folder; '' goes back to that)")
    parser.add_argument("--stats-port", type=int, help="the balancer's view of the servers, on 127.0.0.1")
    parser.add_argument("--postgres-port", type=int, help="the stack's own PostgreSQL, on 127.0.0.1")
    parser.add_argument("--database-url", help="a PostgreSQL of your own instead of the stack's")
    parser.add_argument("--throwaway", action="store_true", default=None,
                        help="delete the stack's PostgreSQL cluster (and the runs) at stop")
    parser.add_argument("--slots", type=int, help="FMNIST_TRAINING_SLOTS of each app server")
    parser.add_argument("--data-dir", help="FMNIST_DATA_DIR of the app servers")
    args = parser.parse_args(argv)
    if args.servers is not None and not 1 <= args.servers <= 64:
        parser.error("--servers must be from 1 to 64")
    stack = Stack(args.folder.resolve())
    if args.action == "start":
        given = {name: getattr(args, name) for name in DEFAULTS}
        if args.cert:
            given["cert"] = str(Path(args.cert).expanduser().resolve())
        stack.start(given)
    elif args.action == "stop":
        stack.stop()
    print(json.dumps(stack.status()))


if __name__ == "__main__":
    main()
