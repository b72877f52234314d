"""nginx run from this repository's nginx/ folder, as the nginx image runs it, for the tests
and benchmarks: the template rendered by the image's own steps (source the .envsh files, then
envsubst the variables that match NGINX_ENVSUBST_FILTER), in a main configuration like the
image's, with every path in a temporary prefix; Debian's nginx (`make deploy-tools`)."""

import grp
import os
import pwd
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from devtools.processes import stop_process, wait_for_http

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
NGINX_DIR = Path(__file__).resolve().parent.parent / "nginx"
NGINX_TEMPLATE = NGINX_DIR / "templates" / "default.conf.template"
NGINX_UPLOAD_LIMITS = NGINX_DIR / "docker-entrypoint.d" / "15-upload-limits.envsh"


def render_template(environment: Mapping[str, str]) -> str:
    """What the nginx image's entrypoint does: source the .envsh files, then envsubst the
    template with the variables that are set and match NGINX_ENVSUBST_FILTER."""
    script = (
        '. "$1"\n'
        'filter="${NGINX_ENVSUBST_FILTER:-}"\n'
        "defined_envs=$(printf '${%s} ' $(awk \"END { for (name in ENVIRON) "
        '{ print ( name ~ /${filter}/ ) ? name : \\"\\" } }" < /dev/null ))\n'
        'envsubst "$defined_envs" < "$2"\n'
    )
    result = subprocess.run(  # noqa: S603 - fixed argv
        ["sh", "-c", script, "render", str(NGINX_UPLOAD_LIMITS), str(NGINX_TEMPLATE)],  # noqa: S607
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


def write_nginx_config(
    prefix: Path, environment: Mapping[str, str], *, worker_processes: int | str = 1
) -> Path:
    """A main nginx.conf like the image's (which includes conf.d/*.conf in its http block),
    with every path in `prefix`; returns its path."""
    (prefix / "conf.d").mkdir(parents=True)
    (prefix / "logs").mkdir()
    shutil.copytree(NGINX_DIR / "snippets", prefix / "snippets")
    (prefix / "conf.d" / "default.conf").write_text(render_template(environment))
    # Workers of a root master switch to `user` (the image's "nginx"); the current user can
    # read the files. A master that is not root ignores the directive.
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    config = prefix / "nginx.conf"
    config.write_text(
        f"user {user} {group};\n"
        "daemon off;\n"
        f"worker_processes {worker_processes};\n"
        f"pid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/logs/error.log warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        f"    access_log {prefix}/logs/access.log;\n"
        f"    client_body_temp_path {prefix}/client_body;\n"
        f"    proxy_temp_path {prefix}/proxy;\n"
        f"    fastcgi_temp_path {prefix}/fastcgi;\n"
        f"    uwsgi_temp_path {prefix}/uwsgi;\n"
        f"    scgi_temp_path {prefix}/scgi;\n"
        # As the image's nginx.conf: sendfile and keep-alive to clients.
        "    sendfile on;\n"
        "    keepalive_timeout 65;\n"
        "    include conf.d/*.conf;\n"
        "}\n"
    )
    return config


def nginx_command(prefix: Path, config: Path, *extra: str) -> list[str]:
    if NGINX is None:
        raise RuntimeError("no nginx: make deploy-tools")
    return [NGINX, "-p", f"{prefix}/", "-c", str(config), "-e", f"{prefix}/logs/error.log", *extra]


def check_config(prefix: Path, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own argv
        nginx_command(prefix, config, "-t"), capture_output=True, text=True, timeout=30
    )


def start_nginx(
    prefix: Path, environment: Mapping[str, str], *, worker_processes: int | str = 1
) -> tuple[str, subprocess.Popen[bytes]]:
    """nginx in the foreground on NGINX_LISTEN_PORT, once it serves a static file; returns
    (url, process)."""
    config = write_nginx_config(prefix, environment, worker_processes=worker_processes)
    checked = check_config(prefix, config)
    if checked.returncode != 0:
        raise RuntimeError(checked.stderr)
    process = subprocess.Popen(  # noqa: S603 - our own argv
        nginx_command(prefix, config), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{environment['NGINX_LISTEN_PORT']}"
    try:
        wait_for_http(f"{url}/static/css/app.css", process)
    except Exception:
        stop_process(process)
        raise RuntimeError((prefix / "logs" / "error.log").read_text()) from None
    return url, process
