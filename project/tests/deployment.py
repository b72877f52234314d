"""The deployment files as data, for the tests that check them without a Docker engine."""

import json
import re
import shlex
from dataclasses import dataclass, field

from project.settings import BASE_DIR

DOCKERFILE = BASE_DIR / "Dockerfile"
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
ENV_EXAMPLE = BASE_DIR / ".env.example"
ENTRYPOINT = BASE_DIR / "docker-entrypoint.sh"
NGINX_DIR = BASE_DIR / "nginx"
NGINX_TEMPLATE = NGINX_DIR / "templates" / "default.conf.template"
NGINX_UPLOAD_LIMITS = NGINX_DIR / "docker-entrypoint.d" / "15-upload-limits.envsh"


@dataclass
class Instruction:
    keyword: str
    arguments: str

    @property
    def words(self):
        """The arguments as a list: exec (JSON) form or shell words."""
        if self.arguments.startswith("["):
            return json.loads(self.arguments)
        return shlex.split(self.arguments)


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword):
        return [item for item in self.instructions if item.keyword == keyword]


def _logical_lines(text):
    """Dockerfile lines with their continuations joined and comments left out."""
    line = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            line += stripped[:-1].rstrip() + " "
            continue
        line += stripped
        if line:
            yield line
        line = ""
    if line:
        yield line


def dockerfile_stages(text=None):
    """The stages of a Dockerfile, in order: FROM image [AS name], then their instructions."""
    stages = []
    for line in _logical_lines(DOCKERFILE.read_text() if text is None else text):
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", arguments, re.I)
            stages.append(Stage(image=match[1], name=match[2]))
        else:
            stages[-1].instructions.append(Instruction(keyword, arguments.strip()))
    return stages


def env_file_values(path=ENV_EXAMPLE):
    """KEY=value lines of an env file (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values
