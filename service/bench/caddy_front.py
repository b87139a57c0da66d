"""Caddy in front of the service for the read benchmark, configured like production: the caddy
role's Caddyfile rendered with Ansible's templar in HTTP-only mode (the same directives as the
HTTPS site, minus TLS), moved from :80 to a loopback port and without the admin endpoint, which
another Caddy on this machine may hold."""

from __future__ import annotations

import gzip
import importlib.util
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROLE = Path(__file__).resolve().parents[2] / "roles" / "caddy"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def render_caddyfile(port: int, upstream: str, access_log: Path) -> str:
    """The Caddyfile, with the file naming the active release (`upstream`) written beside the
    access log, as forecast_service writes it on a host. The role's internal loopback site
    gets a free port of its own."""
    import yaml
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    upstream_file = access_log.parent / "swissenergy-upstream.caddy"
    variables = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    variables |= yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    variables |= {
        "ansible_managed": "Ansible managed",
        "caddy_https": False,
        "caddy_upstream": upstream,
        "caddy_access_log": str(access_log),
        "swissenergy_active_upstream_file": str(upstream_file),
        "swissenergy_service_address": HOST,
        "swissenergy_service_port": free_port(),
    }
    templar = Templar(loader=DataLoader(), variables=variables)
    templates = ROLE / "templates" / "etc" / "caddy"
    upstream_text = (templates / "swissenergy-upstream.caddy.j2").read_text()
    upstream_file.write_text(str(templar.template(trust_as_template(upstream_text))))
    text = str(templar.template(trust_as_template((templates / "Caddyfile.j2").read_text())))
    for old, new in (
        ("\n{\n", "\n{\n\tadmin off\n"),
        ("\n:80 {\n", f"\n:{port} {{\n\tbind {HOST}\n"),
    ):
        if text.count(old) != 1:
            raise RuntimeError(
                f"the rendered Caddyfile no longer has one {old!r}: update {__file__}"
            )
        text = text.replace(old, new)
    return text


def caddy_binary() -> str | None:
    """The venv's caddy (scripts/bootstrap-venv.sh puts Debian's there), else the one on PATH."""
    venv = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "caddy"
    return str(venv) if venv.exists() else shutil.which("caddy")


def unavailable() -> str | None:
    """Why Caddy cannot be put in front here (a service-only venv), or None."""
    if not caddy_binary():
        return "no caddy binary (scripts/bootstrap-venv.sh puts one into .venv/bin)"
    if importlib.util.find_spec("ansible") is None:
        return "no Ansible to render the role's Caddyfile (use the repository's .venv)"
    return None


def start(
    caddyfile: str, workdir: Path, port: int, pin: list[str], log: Path
) -> subprocess.Popen[bytes]:
    """Run caddy on the Caddyfile text and wait until it answers on `port`."""
    path = workdir / "Caddyfile"
    path.write_text(caddyfile)
    env = {**os.environ, "XDG_DATA_HOME": str(workdir), "XDG_CONFIG_HOME": str(workdir)}
    binary = caddy_binary()
    if not binary:
        raise RuntimeError("no caddy binary: run scripts/bootstrap-venv.sh (puts one in .venv/bin)")
    command = [*pin, binary, "run", "--adapter", "caddyfile", "--config", str(path)]
    with log.open("wb") as out:
        caddy = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=1)
            return caddy
        except OSError:
            if caddy.poll() is not None:
                raise RuntimeError(f"caddy exited: {log.read_text()[-2000:]}") from None
            time.sleep(0.1)
    caddy.terminate()
    raise RuntimeError(f"caddy did not answer on {HOST}:{port}: {log.read_text()[-2000:]}")


def fill(template: str, port: int, upstream: str, workdir: Path) -> str:
    """A hand-written Caddyfile to compare with the role's: @PORT@, @UPSTREAM@, @LOG@ filled in."""
    return (
        template.replace("@PORT@", str(port))
        .replace("@UPSTREAM@", upstream)
        .replace("@LOG@", str(workdir / "access.log"))
    )


def access_log_lines(path: Path) -> int:
    """Lines in the access log and in the files Caddy rolled it into (gzipped by default)."""
    lines = 0
    for log in [path, *path.parent.glob(f"{path.stem}-*")]:
        with gzip.open(log) if log.suffix == ".gz" else log.open("rb") as file:
            lines += sum(1 for _ in file)
    return lines
