"""The production files in deploy/: the systemd units (systemd-analyze verify, their settings), the settings
file's model, backup.sh, as-guichet, nginx's site (nginx -t, then nginx running it in front of two stub
instances), and the commands of deploy/DEPLOYING.md."""

from __future__ import annotations

import datetime
import http.client
import os
import re
import shlex
import shutil
import socket
import sqlite3
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List

import pytest

from bot.settings import PROJECT_ROOT, Settings

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = ("guichet.service", "guichet@.service", "guichet-backup.service", "guichet-backup.timer")
GUICHET = PROJECT_ROOT / ".venv" / "bin" / "guichet"
SECRETS = ("TELEGRAM_BOT_TOKEN", "GUICHET_WEBHOOK_SECRET", "GUICHET_SECRET")


# -- systemd -------------------------------------------------------------------------------------------
def parse_unit(text: str) -> Dict[str, Dict[str, List[str]]]:
    """section -> key -> values in order (a key may repeat: Environment=, EnvironmentFile=)."""
    sections: Dict[str, Dict[str, List[str]]] = {}
    current = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        assert not line.endswith("\\"), f"line {number}: no continuation lines"
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, equals, value = line.partition("=")
        assert equals and current is not None, f"line {number}: {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def unit(name: str) -> Dict[str, Dict[str, List[str]]]:
    return parse_unit((DEPLOY / name).read_text(encoding="utf-8"))


def one(section: Dict[str, List[str]], key: str) -> str:
    values = section.get(key, [])
    assert len(values) == 1, f"{key}: {values}"
    return values[0]


def local_units(tmp_path: Path) -> Path:
    """Copies of the units whose programs and settings file exist on this machine: the checkout's virtualenv and
    deploy/ instead of /opt/guichet's, an empty settings file in a temporary /etc/guichet."""
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "guichet.env").write_text("")
    units = tmp_path / "units"
    units.mkdir()
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        text = (text.replace("/opt/guichet/.venv/", f"{PROJECT_ROOT}/.venv/")
                .replace("/opt/guichet/deploy/", f"{DEPLOY}/").replace("/etc/guichet/", f"{etc}/"))
        (units / name).write_text(text, encoding="utf-8")
    return units


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    """`systemd-analyze verify` parses the units as systemd would and checks that the programs they start exist
    and are executable; it needs no running systemd (PID 1 here is not systemd). Any warning fails the test."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    units = local_units(tmp_path)
    paths = [str(units / name) for name in UNITS] + [str(units / "guichet@a.service")]  # the template, instantiated
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *paths], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stderr == "" and result.stdout == "", result.stderr + result.stdout


def test_the_bot_unit_runs_guichet_as_its_user_hardened():
    service = unit("guichet.service")["Service"]
    assert one(service, "User") == one(service, "Group") == "guichet"
    assert one(service, "WorkingDirectory") == "/opt/guichet"
    assert service["EnvironmentFile"] == ["/etc/guichet/guichet.env"]
    assert one(service, "ExecStartPre") == "/opt/guichet/.venv/bin/guichet db upgrade"
    assert one(service, "ExecStart") == "/opt/guichet/.venv/bin/guichet run"
    assert one(service, "Restart") == "on-failure"
    # SIGTERM to the main process only (it stops its NLU process itself); 30 s for the 5 s drain and the rest
    assert (one(service, "KillSignal"), one(service, "KillMode"), one(service, "TimeoutStopSec")) == ("SIGTERM", "mixed", "30")
    assert one(service, "StandardError") == "journal"
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "UMask": "0077"}.items():
        assert one(service, key) == value, key
    assert one(service, "ReadWritePaths").split() == ["/opt/guichet/data", "/opt/guichet/models"]
    environment = " ".join(service["Environment"]).split()
    assert "RASA_TELEMETRY_ENABLED=false" in environment
    # the caches TensorFlow and matplotlib write at start are in the unit's own writable cache folder
    assert one(service, "CacheDirectory") == "guichet"
    assert {"KERAS_HOME=/var/cache/guichet/keras", "MPLCONFIGDIR=/var/cache/guichet/matplotlib"} <= set(environment)
    assert unit("guichet.service")["Install"]["WantedBy"] == ["multi-user.target"]


def test_the_template_is_the_same_unit_with_an_instance():
    single, template = unit("guichet.service"), unit("guichet@.service")
    service = template["Service"]
    assert service["EnvironmentFile"] == ["/etc/guichet/guichet.env", "-/etc/guichet/%i.env"]  # the instance's wins
    assert "GUICHET_INSTANCE=%i" in service["Environment"]
    assert one(service, "SyslogIdentifier") == "guichet-%i"
    assert "%i" in one(template["Unit"], "Description")

    def common(sections):
        copy = {name: dict(keys) for name, keys in sections.items()}
        for key in ("EnvironmentFile", "SyslogIdentifier"):
            copy["Service"].pop(key)
        copy["Service"]["Environment"] = [e for e in copy["Service"]["Environment"] if "GUICHET_INSTANCE" not in e]
        copy["Unit"].pop("Description")
        return copy

    assert common(template) == common(single)


def test_the_backup_units_run_backup_sh_every_night():
    service = unit("guichet-backup.service")["Service"]
    assert one(service, "Type") == "oneshot" and one(service, "User") == "guichet"
    assert service["EnvironmentFile"] == unit("guichet.service")["Service"]["EnvironmentFile"]  # the bot's database
    assert one(service, "ExecStart") == "/opt/guichet/deploy/backup.sh"
    environment = " ".join(service["Environment"]).split()
    assert {"BACKUP_DIR=/var/backups/guichet", "KEEP=14", "GUICHET_BIN=/opt/guichet/.venv/bin/guichet"} <= set(environment)
    assert "/var/backups/guichet" in one(service, "ReadWritePaths").split()
    assert one(service, "ProtectSystem") == "strict"
    timer = unit("guichet-backup.timer")
    assert one(timer["Timer"], "Unit") == "guichet-backup.service" and (DEPLOY / "guichet-backup.service").is_file()
    assert one(timer["Timer"], "Persistent") == "true"
    assert timer["Install"]["WantedBy"] == ["timers.target"]
    if shutil.which("systemd-analyze"):  # once a day
        result = subprocess.run(["systemd-analyze", "calendar", one(timer["Timer"], "OnCalendar")],
                                capture_output=True, text=True)
        assert result.returncode == 0 and "Next elapse" in result.stdout, result.stderr
    assert os.access(DEPLOY / "backup.sh", os.X_OK) and os.access(DEPLOY / "as-guichet", os.X_OK)


# -- the settings file ------------------------------------------------------------------------------------
def env_example() -> Dict[str, str]:
    return read_env((DEPLOY / "guichet.env.example").read_text(encoding="utf-8"))


def read_env(text: str) -> Dict[str, str]:
    values: Dict[str, str] = {}
    commented = False
    for raw in text.splitlines():
        if not raw.strip():
            commented = False  # a comment belongs to the lines right after it
            continue
        if raw.startswith("#"):
            commented = True
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", raw)
        assert match, f"not NAME=value: {raw!r}"
        name, value = match.groups()
        assert commented, f"{name} has no comment above it"
        assert name not in values, f"{name} twice"
        assert value == value.strip() and not value.startswith(("'", '"')), f"{name}: no quotes, no spaces around"
        values[name] = value
    return values


def test_the_settings_model_has_every_setting_with_a_comment_and_no_secret():
    values = env_example()
    read = set(re.findall(r'environ\.get\("([A-Z][A-Z0-9_]*)"', (PROJECT_ROOT / "bot" / "settings.py").read_text()))
    assert read, "bot/settings.py reads no setting?"
    # GUICHET_INSTANCE is set by guichet@.service: the file only says so (a value there would override the unit's)
    missing = read - {"GUICHET_INSTANCE"} - set(values)
    assert not missing, "missing: " + ", ".join(sorted(missing))
    assert "GUICHET_INSTANCE" not in values and "GUICHET_INSTANCE" in (DEPLOY / "guichet.env.example").read_text()
    for name in SECRETS:
        assert values[name] == "", name
    assert "PASSWORD@" in values["DATABASE_URL"]
    settings = Settings.from_env(values, dotenv=False)  # every value is one Guichet accepts
    assert settings.webhook_url == "https://bot.example.org/telegram" and settings.webhook_port == 8443
    assert settings.data_dir == Path("/opt/guichet/data") and settings.model_dir == Path("/opt/guichet/models")
    # the only folders the unit may write to
    assert f"{settings.data_dir} {settings.model_dir}" == one(unit("guichet.service")["Service"], "ReadWritePaths")


# -- backup.sh -----------------------------------------------------------------------------------------
def run_backup_sh(tmp_path: Path, database_url: str, **extra: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "GUICHET_BIN": str(GUICHET), "BACKUP_DIR": str(tmp_path / "backups"),
                   "DATABASE_URL": database_url, "GUICHET_DATA_DIR": str(tmp_path / "data"), **extra}
    return subprocess.run([str(DEPLOY / "backup.sh")], env=environment, capture_output=True, text=True, timeout=300)


def fake_old_backups(folder: Path, count: int, extension: str = "sqlite3") -> List[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"guichet-2020-01-{day:02d}.{extension}" for day in range(1, count + 1)]
    for name in names:
        (folder / name).write_bytes(b"old")
    return names


def test_backup_sh_is_valid_bash():
    assert subprocess.run(["bash", "-n", str(DEPLOY / "backup.sh")]).returncode == 0
    assert subprocess.run(["bash", "-n", str(DEPLOY / "as-guichet")]).returncode == 0


def test_backup_sh_backs_up_and_keeps_the_newest_14(tmp_path, sqlite_url):
    from knowledge.storage import Storage

    store = Storage(sqlite_url, b"k")
    store.handovers.add_interpreter(801, "Amina", ["ar"])
    store.close()
    folder = tmp_path / "backups"
    old = fake_old_backups(folder, 20)
    (folder / "notes.txt").write_text("mine")
    (folder / "guichet-manual.sqlite3").write_text("mine too")

    result = run_backup_sh(tmp_path, sqlite_url)

    assert result.returncode == 0, result.stderr
    today = f"guichet-{datetime.date.today().isoformat()}.sqlite3"
    assert sorted(p.name for p in folder.iterdir()) == sorted(old[-13:] + [today, "notes.txt", "guichet-manual.sqlite3"])
    assert "removed 7 old backup(s), kept 14" in result.stdout
    copy = sqlite3.connect(folder / today)
    assert copy.execute("SELECT name FROM interpreters").fetchall() == [("Amina",)]
    copy.close()
    assert (folder / today).stat().st_mode & 0o077 == 0


def test_backup_sh_fails_and_removes_nothing_when_the_backup_fails(tmp_path):
    folder = tmp_path / "backups"
    old = fake_old_backups(folder, 20)

    result = run_backup_sh(tmp_path, f"sqlite:///{tmp_path / 'missing.sqlite3'}")

    assert result.returncode != 0
    assert "guichet: backup failed: there is no database at" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == old
    for keep in ("none", "0", "00", "-3"):
        bad_keep = run_backup_sh(tmp_path, f"sqlite:///{tmp_path / 'missing.sqlite3'}", KEEP=keep)
        assert bad_keep.returncode == 2 and "KEEP must be a number above 0" in bad_keep.stderr, keep


def test_backup_sh_on_postgresql_writes_a_dump(tmp_path, postgres_url):
    from knowledge.storage import Storage

    Storage(postgres_url, b"k").close()  # the schema
    fake_old_backups(tmp_path / "backups", 14, "dump")

    result = run_backup_sh(tmp_path, postgres_url)

    assert result.returncode == 0, result.stderr
    today = tmp_path / "backups" / f"guichet-{datetime.date.today().isoformat()}.dump"
    assert today.read_bytes().startswith(b"PGDMP")
    assert len(list((tmp_path / "backups").iterdir())) == 14 and not (tmp_path / "backups" / "guichet-2020-01-01.dump").exists()


# -- as-guichet ----------------------------------------------------------------------------------------
def as_guichet(tmp_path: Path, env_text: str, *command: str, user: str = "root") -> subprocess.CompletedProcess:
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("as-guichet switches users with runuser: it needs root")
    env_file = tmp_path / "guichet.env"
    env_file.write_text(env_text)
    env_file.chmod(0o600)
    environment = {**os.environ, "GUICHET_USER": user, "GUICHET_HOME": str(PROJECT_ROOT),
                   "GUICHET_ENV_FILE": str(env_file)}
    return subprocess.run([str(DEPLOY / "as-guichet"), *command], env=environment, capture_output=True, text=True,
                          timeout=300)


def test_as_guichet_gives_the_settings_as_systemd_reads_them(tmp_path):
    text = ("# a comment\n; another\n\nDATABASE_URL=sqlite:////tmp/x.sqlite3\n"
            "GUICHET_INTERPRETER_HOURS=mon-fri 09:00-17:00, sat 10:00-12:00\nQUOTED=\"a b\"\nSINGLE='c d'\n")
    result = as_guichet(tmp_path, text, "sh", "-c", "id -un; pwd; env", user="nobody")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "nobody" and lines[1] == str(PROJECT_ROOT)
    assert {"DATABASE_URL=sqlite:////tmp/x.sqlite3", "GUICHET_INTERPRETER_HOURS=mon-fri 09:00-17:00, sat 10:00-12:00",
            "QUOTED=a b", "SINGLE=c d", "RASA_TELEMETRY_ENABLED=false"} <= set(lines)
    assert any(line.startswith(f"PATH={PROJECT_ROOT}/.venv/bin:") for line in lines)

    broken = as_guichet(tmp_path, "DATABASE_URL=sqlite:////tmp/x\n123456:token-pasted-alone\n", "true")
    assert broken.returncode == 1 and "line 2 is not NAME=value" in broken.stderr
    assert "token-pasted-alone" not in broken.stderr + broken.stdout


def test_the_restore_drill_of_deploying_md(tmp_path):
    """Step 7's drill, word for word, on SQLite: the backup restored into a scratch database beside the live one
    (`${DATABASE_URL%/*}/guichet_drill`), which is left as it was."""
    from knowledge.storage import Storage

    database = tmp_path / "db" / "guichet.sqlite3"
    url = f"sqlite:///{database}"
    store = Storage(url, b"k")
    store.handovers.add_interpreter(801, "Amina", ["ar", "fr"])
    store.close()
    backup = tmp_path / "guichet-2026-12-01.sqlite3"
    made = subprocess.run([str(GUICHET), "db", "backup", str(backup)], capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": url, "GUICHET_DATA_DIR": str(tmp_path / "data")})
    assert made.returncode == 0, made.stderr
    store = Storage(url, b"k")
    store.handovers.remove_interpreter(801)
    store.close()
    script = drill_script()

    result = as_guichet(tmp_path, f"DATABASE_URL={url}\nGUICHET_DATA_DIR={tmp_path / 'data'}\n", "sh", "-c", script,
                        str(backup))

    assert result.returncode == 0, result.stderr
    assert f"restored {backup} into sqlite:///{tmp_path / 'db' / 'guichet_drill'}" in result.stdout
    assert "801  Amina — ar,fr" in result.stdout
    store = Storage(url, b"k")
    assert store.handovers.roster() == []  # the live database is untouched
    store.close()


def drill_script() -> str:
    """The script given to `sh -c` in DEPLOYING.md's restore drill."""
    text = (DEPLOY / "DEPLOYING.md").read_text(encoding="utf-8")
    start = text.index("as-guichet sh -c '") + len("as-guichet sh -c '")
    return text[start:text.index("'", start)]


# -- nginx ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for bot.example.org (and 127.0.0.1), in place of certbot's."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=bot.example.org",
                    "-addext", "subjectAltName=DNS:bot.example.org,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def nginx_site(tmp_path: Path, certificate, replacements=()) -> Path:
    """deploy/nginx-guichet.conf with the test certificate and log, inside a minimal nginx.conf of its own."""
    if shutil.which("nginx") is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    cert, key = certificate
    site = (DEPLOY / "nginx-guichet.conf").read_text(encoding="utf-8")
    for old, new in [("/etc/letsencrypt/live/bot.example.org/fullchain.pem", str(cert)),
                     ("/etc/letsencrypt/live/bot.example.org/privkey.pem", str(key)),
                     ("/var/log/nginx/guichet.access.log", str(tmp_path / "access.log")), *replacements]:
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "guichet.conf").write_text(site)
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / folder).mkdir()
    wrapper = tmp_path / "nginx.conf"
    # as root, nginx's workers run as nobody, who may not enter pytest's folders (for the request bodies)
    user = "user root root;" if os.geteuid() == 0 else ""
    wrapper.write_text(f"""
{user}
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log info;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/guichet.conf;
}}
""")
    return wrapper


def test_the_nginx_site_passes_nginx_t(tmp_path, certificate):
    wrapper = nginx_site(tmp_path, certificate)
    result = subprocess.run(["nginx", "-t", "-q", "-e", str(tmp_path / "startup.log"), "-c", str(wrapper)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warning either


class Instance:
    """A stand-in for one `guichet run`: answers POST /telegram with its name, GET with 200."""

    def __init__(self, name: str):
        self.name, self.status, self.requests = name, 200, []
        instance = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                instance.requests.append((self.command, self.path))
                body = instance.name.encode()
                self.send_response(instance.status if self.command == "POST" else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxied(tmp_path, certificate):
    """nginx running deploy/nginx-guichet.conf on free local ports, in front of two stand-in instances."""
    a, b = Instance("a"), Instance("b")
    https, plain = free_port(), free_port()
    wrapper = nginx_site(tmp_path, certificate, [
        ("listen 443 ssl;", f"listen 127.0.0.1:{https} ssl;"), ("listen [::]:443 ssl;", ""),
        ("listen 80;", f"listen 127.0.0.1:{plain};"), ("listen [::]:80;", ""),
        ("server 127.0.0.1:8443 max_fails=1 fail_timeout=10s;", f"server 127.0.0.1:{a.port} max_fails=1 fail_timeout=1s;"),
        ("server 127.0.0.1:8444 max_fails=1 fail_timeout=10s;", f"server 127.0.0.1:{b.port} max_fails=1 fail_timeout=1s;"),
    ])
    output = (tmp_path / "nginx.out").open("wb")
    nginx = subprocess.Popen(["nginx", "-e", str(tmp_path / "startup.log"), "-c", str(wrapper), "-g", "daemon off;"],
                             stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", https), timeout=1).close()
                break
            except OSError:
                assert nginx.poll() is None, (tmp_path / "nginx.out").read_text() + (tmp_path / "startup.log").read_text()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        context = ssl.create_default_context(cafile=str(certificate[0]))

        def request(method: str, path: str, body: bytes = b"", *, port: int = https, tls=context):
            connection = (http.client.HTTPSConnection("127.0.0.1", port, context=tls, timeout=10) if tls
                          else http.client.HTTPConnection("127.0.0.1", port, timeout=10))
            try:
                connection.request(method, path, body=body or None,
                                   headers={"Host": "bot.example.org", "Content-Type": "application/json"})
                response = connection.getresponse()
                return response.status, response.read().decode(errors="replace"), response.getheader("Location")
            finally:
                connection.close()

        yield request, a, b, plain, tmp_path / "error.log"
    finally:
        nginx.terminate()
        nginx.wait(10)
        output.close()
        a.stop()
        b.stop()


def test_nginx_sends_updates_to_both_instances_and_skips_one_that_is_down(proxied):
    request, a, b, _plain, error_log = proxied
    update = b'{"update_id": 1}'

    answers = [request("POST", "/telegram", update)[:2] for _ in range(4)]
    assert sorted(answers) == [(200, "a"), (200, "a"), (200, "b"), (200, "b")]  # alternates

    a.status = 503  # a stopping instance: "not now"
    a.requests.clear()
    assert [request("POST", "/telegram", update)[:2] for _ in range(4)] == [(200, "b")] * 4
    assert a.requests == [("POST", "/telegram")]  # tried once, then left alone for fail_timeout

    a.status = 200
    time.sleep(2.1)  # past fail_timeout (1 s here, 10 s in the file; nginx counts whole seconds)
    a.stop()  # a stopped instance: connection refused
    assert [request("POST", "/telegram", update)[:2] for _ in range(4)] == [(200, "b")] * 4
    assert "Connection refused" in error_log.read_text()


def test_nginx_serves_only_the_webhook(proxied):
    request, a, b, plain, _error_log = proxied
    for path in ("/healthz", "/metrics", "/", "/telegram/../healthz", "/other"):
        assert request("GET", path)[0] == 404, path
    assert request("POST", "/metrics", b"{}")[0] == 404
    assert request("GET", "/telegram")[0] == 403  # updates are POSTed
    assert not (a.requests + b.requests)
    assert request("POST", "/telegram", b"x" * (2 * 1024 * 1024))[0] == 413  # more than an update can be
    assert request("POST", "/telegram", b"x" * (512 * 1024))[0] == 200
    status, _body, location = request("GET", "/telegram", port=plain, tls=None)
    assert status == 301 and location == "https://bot.example.org/telegram"
    tls12 = ssl.create_default_context(cafile=str(_error_log.parent / "fullchain.pem"))
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2  # what Telegram needs at least
    assert request("POST", "/telegram", b"{}", tls=tls12)[0] == 200


# -- DEPLOYING.md ----------------------------------------------------------------------------------------
def shell_blocks() -> List[str]:
    text = (DEPLOY / "DEPLOYING.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def test_every_guichet_command_in_deploying_md_exists():
    from bot.cli import build_parser

    commands = []
    for block in shell_blocks():
        for line in block.replace("\\\n", " ").splitlines():
            for segment in re.split(r"&&|\|\||;", line.split("  #")[0]):
                match = re.search(r"(?:^|[\s/'])guichet ((?:db|kb|run|chat|interpreters|train|nlu)\b.*)", segment)
                if match:
                    commands.append(shlex.split(match.group(1).split("'")[0]))  # up to the end of `sh -c '…'`
    assert ["db", "restore", "--yes", "/var/backups/guichet/guichet-2026-12-01.dump"] in commands
    assert ["db", "backup", "/var/backups/guichet/before-upgrade.dump"] in commands
    for words in commands:
        build_parser().parse_args(words)  # exits (fails the test) on an unknown command or option


def test_every_file_deploying_md_names_exists():
    text = (DEPLOY / "DEPLOYING.md").read_text(encoding="utf-8")
    named = set(re.findall(r"(?:/opt/guichet/)?deploy/([\w.@-]+)", text))
    assert {"guichet.service", "guichet@.service", "guichet.env.example", "nginx-guichet.conf", "backup.sh",
            "guichet-backup.service", "guichet-backup.timer", "as-guichet"} <= named
    for name in named:
        assert (DEPLOY / name).is_file(), name
    for name in set(re.findall(r"systemctl \w+(?: --now)? ([\w@ .-]+)", text)):
        for word in name.split():
            base = re.sub(r"@\w+", "@", word)
            if base.startswith("guichet"):
                assert (DEPLOY / (base if "." in base else base + ".service")).is_file(), word
    assert "setup:" in (PROJECT_ROOT / "Makefile").read_text()
    assert set(re.findall(r"\b(GUICHET_[A-Z_]+|TELEGRAM_[A-Z_]+|DATABASE_URL)\b", text)) - {"GUICHET_INSTANCE"} <= set(env_example())
