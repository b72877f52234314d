"""Who may import whom: production code (the apps, `project/`, manage.py) never imports
devtools, core imports no feature app (and its platform nothing of its documents feature),
no production modules import one another in a circle, only Django loads the settings
module, and no test imports a conftest (fixtures come from pytest, the servers from the
devtools plugin)."""

import ast
import json
import os
import subprocess
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from django.apps import apps
from django.conf import settings

# Top-level packages that production never runs (and the image does not contain).
NOT_PRODUCTION = {"devtools", "tests", "bench"}
# What production must not have loaded after importing every module it has.
DEVELOPMENT_ONLY = {"devtools", "tests", "bench", "conftest", "pytest"}


def production_packages() -> list[str]:
    return sorted(
        path.name
        for path in settings.BASE_DIR.iterdir()
        if (path / "__init__.py").is_file() and path.name not in NOT_PRODUCTION
    )


def is_test_code(path: Path) -> bool:
    return "tests" in path.parts or path.name == "conftest.py"


def production_files() -> Iterator[Path]:
    yield settings.BASE_DIR / "manage.py"
    for package in production_packages():
        for path in sorted((settings.BASE_DIR / package).rglob("*.py")):
            if not is_test_code(path.relative_to(settings.BASE_DIR)):
                yield path


def repository_files() -> Iterator[Path]:
    for path in sorted(settings.BASE_DIR.rglob("*.py")):
        if not path.relative_to(settings.BASE_DIR).parts[0].startswith("."):
            yield path


def imported_modules(path: Path) -> set[str]:
    """Every absolute import of a Python file, at module level or inside functions:
    `import a.b` gives a.b, `from a.b import c` gives a.b and a.b.c."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def imports_of(paths: Iterator[Path], top_level: set[str]) -> dict[str, set[str]]:
    """{file: the modules it imports from the `top_level` packages} for files that do."""
    found = {}
    for path in paths:
        hits = {name for name in imported_modules(path) if name.split(".")[0] in top_level}
        if hits:
            found[str(path.relative_to(settings.BASE_DIR))] = hits
    return found


def test_production_code_never_imports_devtools():
    files = list(production_files())
    assert {"manage.py", "project/settings.py", "core/views.py"} <= {
        str(path.relative_to(settings.BASE_DIR)) for path in files
    }
    assert imports_of(iter(files), {"devtools"}) == {}


def test_core_imports_no_feature_app():
    feature_apps = {
        Path(config.path).name
        for config in apps.get_app_configs()
        if Path(config.path).parent == settings.BASE_DIR and config.name != "core"
    }
    assert {"users", "cookbook", "students", "chat"} <= feature_apps
    core = [
        path
        for path in production_files()
        if path.relative_to(settings.BASE_DIR).parts[0] == "core"
    ]
    assert imports_of(iter(core), feature_apps) == {}


def test_the_core_platform_imports_nothing_of_the_documents_feature():
    platform = [
        path
        for path in production_files()
        if path.relative_to(settings.BASE_DIR).parts[:1] == ("core",)
        and "documents" not in path.relative_to(settings.BASE_DIR).parts
    ]
    assert "core/views.py" in {str(path.relative_to(settings.BASE_DIR)) for path in platform}
    importing = {
        path: sorted(name for name in names if name.startswith("core.documents"))
        for path, names in imports_of(iter(platform), {"core"}).items()
    }
    assert {path: names for path, names in importing.items() if names} == {}


def test_only_django_loads_the_settings_module():
    importing = {
        path: [name for name in names if name == "project.settings"]
        for path, names in imports_of(repository_files(), {"project"}).items()
    }
    assert {path: names for path, names in importing.items() if names} == {}


def test_no_module_imports_a_conftest():
    assert imports_of(repository_files(), {"conftest"}) == {}


def test_the_scan_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "import os\n\ndef later():\n    from devtools.live import start_daphne\n"
        "    import students.search as search\n"
    )
    assert imported_modules(module) == {
        "os",
        "devtools.live",
        "devtools.live.start_daphne",
        "students.search",
    }


# (importer, imported) module names whose imports for type checkers only may close a
# cycle: Django's model names its manager, and the manager names its model in annotations.
TYPE_ONLY_PAIRS = {("managers", "models")}


def module_name(path: Path, base: Path) -> str:
    parts = path.relative_to(base).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def type_checking_lines(tree: ast.Module) -> set[int]:
    """The lines inside `if TYPE_CHECKING:` blocks, which only type checkers run."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            for statement in node.body:
                lines.update(range(statement.lineno, (statement.end_lineno or 0) + 1))
    return lines


def imports_among(path: Path, name: str, modules: set[str]) -> Iterator[tuple[str, bool]]:
    """(module, for type checkers only) for each import in the file `path` (module `name`)
    of one of `modules`, at module level or inside a function alike: a deferred import
    still closes a cycle. `import a.b` is a.b; `from a.b import c` is a.b.c when that is a
    module, a.b otherwise."""
    tree = ast.parse(path.read_text(), filename=str(path))
    type_only = type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *filter(None, [node.module])])
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target in modules:
                yield target, node.lineno in type_only


def import_graph(paths: Iterable[Path], base: Path) -> dict[str, set[str]]:
    """{module: the modules among `paths` it imports}, without the TYPE_ONLY_PAIRS."""
    files = {module_name(path, base): path for path in paths}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        graph[name] = {
            target
            for target, type_only in imports_among(path, name, set(files))
            if target != name
            and not (
                type_only
                and (name.rpartition(".")[2], target.rpartition(".")[2]) in TYPE_ONLY_PAIRS
            )
        }
    return graph


def import_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The shortest cycle through each module that is on one, each listed once, from its
    first module by name: [a, b, ..., a]."""
    cycles = set()
    for start in graph:
        came_from: dict[str, str] = {}
        queue = deque([start])
        while queue and start not in came_from:
            module = queue.popleft()
            for target in sorted(graph[module]):
                if target not in came_from:
                    came_from[target] = module
                    queue.append(target)
        if start in came_from:
            path = [start]
            while (previous := came_from[path[-1]]) != start:
                path.append(previous)
            loop = path[::-1]
            first = loop.index(min(loop))
            cycles.add((*loop[first:], *loop[:first], min(loop)))
    return sorted(list(cycle) for cycle in cycles)


def test_no_production_modules_import_one_another_in_a_cycle():
    graph = import_graph(production_files(), settings.BASE_DIR)
    assert {"core.checks", "core.health"} <= graph["core.apps"]  # imported in ready()
    assert import_cycles(graph) == []


def test_the_cycle_scan_sees_deferred_and_type_only_imports(tmp_path):
    modules = {
        "shop/__init__.py": "",
        "shop/models.py": "from shop.managers import OrderManager\n",
        "shop/managers.py": (
            "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
            "    from shop.models import Order\n"
        ),
        "shop/backend.py": "def later():\n    from shop import rebuilder\n",
        "shop/rebuilder.py": "import shop.backend\n",
        "shop/views.py": (
            "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
            "    from shop.forms import OrderForm\n"
        ),
        "shop/forms.py": "from . import views\n",
    }
    for name, text in modules.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path.rglob("*.py"), tmp_path)
    assert graph["shop.managers"] == set()  # Django's pair: the manager's type-only import
    assert import_cycles(graph) == [
        ["shop.backend", "shop.rebuilder", "shop.backend"],
        ["shop.forms", "shop.views", "shop.forms"],
    ]


IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import django

django.setup()
for package in sys.argv[1:]:
    importlib.import_module(package)
    for found in pkgutil.walk_packages(sys.modules[package].__path__, f"{package}."):
        if "tests" not in found.name.split("."):
            importlib.import_module(found.name)
importlib.import_module("project.urls")
print(json.dumps(sorted(sys.modules)))
"""


def test_importing_every_production_module_loads_no_development_code():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_DEBUG": "false",  # production's settings
        "DJANGO_SECRET_KEY": "layering-test-only",
    }
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING, *production_packages()],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert {"project.asgi", "core.views", "students.search", "users.tasks.worker"} <= set(loaded)
    assert [name for name in loaded if name.split(".")[0] in DEVELOPMENT_ONLY] == []


def files_of(package: str) -> Iterator[Path]:
    """The production modules of a package given by its dotted name (`users.tasks`)."""
    folder = settings.BASE_DIR.joinpath(*package.split("."))
    return (path for path in production_files() if path.is_relative_to(folder))


def names_under(names: set[str], packages: set[str]) -> set[str]:
    return {name for name in names if any(name.startswith(f"{p}.") for p in packages)}


def test_the_users_packages_import_one_way():
    """Accounts close their sockets and sockets follow tasks, never the other way: the job
    engine (users.tasks) knows neither accounts nor sockets, sockets know no accounts."""
    forbidden = {
        "users.tasks": {"users.accounts", "users.sockets"},
        "users.sockets": {"users.accounts"},
    }
    found = {
        path: names_under(names, forbidden[package])
        for package in forbidden
        for path, names in imports_of(files_of(package), {"users"}).items()
    }
    assert {"users/tasks/services.py", "users/sockets/tickets.py"} <= set(found)
    assert {path: names for path, names in found.items() if names} == {}


def test_the_job_engine_knows_no_kind_of_task():
    """Each kind registers itself (a TaskKind, from its app's ready()): users.tasks imports
    no other feature app."""
    feature_apps = {"students", "cookbook", "chat", "api"}
    assert imports_of(files_of("users.tasks"), feature_apps) == {}
