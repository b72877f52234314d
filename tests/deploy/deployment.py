"""The deployment files as data, for the tests that check them without a Docker engine."""

import json
import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

DOCKERFILE = settings.BASE_DIR / "Dockerfile"
DOCKERIGNORE = settings.BASE_DIR / ".dockerignore"
COMPOSE_FILE = settings.BASE_DIR / "docker-compose.yml"
ENV_EXAMPLE = settings.BASE_DIR / ".env.example"
ENTRYPOINT = settings.BASE_DIR / "docker-entrypoint.sh"
NGINX_DIR = settings.BASE_DIR / "nginx"
NGINX_TEMPLATE = NGINX_DIR / "templates" / "default.conf.template"
NGINX_UPLOAD_LIMITS = NGINX_DIR / "docker-entrypoint.d" / "15-upload-limits.envsh"


@dataclass
class Instruction:
    keyword: str
    arguments: str

    @property
    def words(self) -> list[str]:
        """The arguments as a list: exec (JSON) form or shell words."""
        if self.arguments.startswith("["):
            words: list[str] = json.loads(self.arguments)
            return words
        return shlex.split(self.arguments)


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [item for item in self.instructions if item.keyword == keyword]


def _logical_lines(text: str) -> Iterator[str]:
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


def dockerfile_stages(text: str | None = None) -> list[Stage]:
    """The stages of a Dockerfile, in order: FROM image [AS name], then their instructions."""
    stages: list[Stage] = []
    for line in _logical_lines(DOCKERFILE.read_text() if text is None else text):
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", arguments, re.I)
            if match is None:
                raise ValueError(f"not a FROM instruction: {line}")
            stages.append(Stage(image=match[1], name=match[2]))
        else:
            stages[-1].instructions.append(Instruction(keyword, arguments.strip()))
    return stages


def env_file_values(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    """KEY=value lines of an env file (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


@dataclass(frozen=True)
class IgnorePattern:
    """One .dockerignore line: its text, the regex docker compiles from it, and whether it
    is an exception (`!pattern`: back into the context)."""

    text: str
    regex: re.Pattern[str]
    exception: bool


def dockerignore_patterns(text: str | None = None) -> list[IgnorePattern]:
    """The patterns of a .dockerignore, read as docker reads them (moby's patternmatcher):
    comments and blank lines skipped, each path cleaned and taken from the context's root."""
    patterns = []
    for line in (DOCKERIGNORE.read_text() if text is None else text).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        path = os.path.normpath(line.removeprefix("!").strip())
        if len(path) > 1:
            path = path.lstrip("/")
        patterns.append(IgnorePattern(path, _pattern_regex(path), exception))
    return patterns


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """`*` and `?` stay within one path segment, `**` spans any number of them (none too)."""
    regex = ""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            index += 2
            if index == len(pattern):
                regex += ".*"
            else:
                index += pattern.startswith("/", index)
                regex += "(.*/)?"
            continue
        if char == "*":
            regex += "[^/]*"
        elif char == "?":
            regex += "[^/]"
        elif char == "[":
            end = pattern.index("]", index)
            regex += pattern[index : end + 1]
            index = end
        elif char == "\\" and index + 1 < len(pattern):
            index += 1
            regex += re.escape(pattern[index])
        else:
            regex += re.escape(char)
        index += 1
    return re.compile(regex)


def excluded_from_context(path: str, patterns: list[IgnorePattern]) -> bool:
    """Whether docker leaves `path` (relative, with /) out of the build context: the last
    pattern that matches it or one of its parent folders decides."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: count + 1]) for count in range(len(parts))]
    excluded = False
    for pattern in patterns:
        if any(pattern.regex.fullmatch(prefix) for prefix in prefixes):
            excluded = not pattern.exception
    return excluded


def build_context(
    root: Path = settings.BASE_DIR, patterns: list[IgnorePattern] | None = None
) -> set[str]:
    """Every file under `root` that `docker build` sends (and `COPY . .` copies), as paths
    relative to `root`. Excluded folders are not walked unless an exception reaches inside."""
    patterns = dockerignore_patterns() if patterns is None else patterns
    files = set()
    for folder, subfolders, names in os.walk(root):
        relative = Path(folder).relative_to(root)
        subfolders[:] = [
            name
            for name in subfolders
            if not excluded_from_context((relative / name).as_posix(), patterns)
            or any(
                pattern.exception and pattern.text.startswith(f"{(relative / name).as_posix()}/")
                for pattern in patterns
            )
        ]
        for name in names:
            path = (relative / name).as_posix()
            if not excluded_from_context(path, patterns):
                files.add(path)
    return files
