# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_PIN := $(shell grep -m1 -o '^uv==[0-9.]*' requirements/test.txt)

.PHONY: run test docs screenshots bytecode lint format lock install install-dev install-test chromium elasticsearch postgresql deploy-tools bench-tools clean

run: install-dev bytecode
	$(BIN)/python -m devtools.run

# The suite (devtools/test_suite.py) runs once per database, each pass in lanes: `unit` on
# every core, then `live`, `faults` and `browser` one test at a time; it prints each step's
# time. SQLite runs every test; PostgreSQL, on a throwaway cluster, the tests whose outcome
# depends on the engine. TEST_DATABASES=sqlite (or postgresql) runs one pass, TEST_LANES=unit
# (or any of live faults browser) some lanes, PYTEST_ARGS is passed on to pytest.
TEST_DATABASES ?= sqlite postgresql
TEST_LANES ?= unit live faults browser

test: install-test chromium elasticsearch postgresql deploy-tools bytecode
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(MAKE) --no-print-directory docs
	$(BIN)/python -m devtools.test_suite --databases $(TEST_DATABASES) --lanes $(TEST_LANES) -- $(PYTEST_ARGS)

# The documentation site (mkdocs.yml, docs/): strict, so a page missing from the nav or a link
# to a page or heading that does not exist fails; the site goes to .run/docs-site/ (gitignored).
docs: install-test
	$(BIN)/mkdocs build --strict

$(BIN)/uv:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check $(UV_PIN)

# Each lock is installed once and again only when it changes.
$(VENV)/.installed-base: requirements/base.txt | $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --require-hashes -r requirements/base.txt
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt | $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --require-hashes -r requirements/dev.txt
	touch $@ $(VENV)/.installed-base

$(VENV)/.installed-test: requirements/test.txt | $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --require-hashes -r requirements/test.txt
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed-base

# Every process imports from bytecode: the installs compile the packages (uv
# --compile-bytecode), this compiles the project's own modules (only what changed; these
# machines set PYTHONDONTWRITEBYTECODE, so no process would ever write them).
SOURCES := api bench chat cookbook core devtools project students tests users conftest.py manage.py
bytecode: install-dev
	$(BIN)/python -m compileall -q -j 0 $(SOURCES)

# base: production; dev: base + what `make run` adds; test: dev + the test tools.
install: $(VENV)/.installed-base
install-dev: $(VENV)/.installed-dev
install-test: $(VENV)/.installed-test

# Browser tests drive Debian's chromium; a browser download never works offline.
chromium:
	@test -x /usr/bin/chromium || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# Search tests run a real Elasticsearch: Maven fetches it (cached in ~/.cache), a JDK runs it.
elasticsearch: install-test
	@command -v mvn >/dev/null && command -v java >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq maven openjdk-17-jdk-headless; }
	$(BIN)/python -c 'from devtools.elasticsearch_server import distribution_zip; distribution_zip()'

# Deployment tests: compose parses the stack (no engine needed), nginx runs in front of a live
# daphne, shellcheck reads the entrypoint, envsubst renders nginx's template like its image does.
deploy-tools:
	@command -v docker-compose >/dev/null && command -v nginx >/dev/null \
	  && command -v shellcheck >/dev/null && command -v envsubst >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    docker-compose nginx shellcheck gettext-base; }

# The documentation's screenshots (docs/images/*.png), taken from `make run` in a throwaway copy
# of the project by Debian's chromium (devtools/screenshots.py).
screenshots: install-test chromium bytecode
	$(BIN)/python -m devtools.screenshots

# bench/web_tier.py and bench/burst.py load the servers with Debian's wrk (and run nginx).
bench-tools: deploy-tools
	@command -v wrk >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; }

# The suite's PostgreSQL run needs Debian's server binaries (/usr/lib/postgresql/<major>/bin).
postgresql:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql; }

# mypy checks the files and modules listed under [tool.mypy] in pyproject.toml.
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-pin every dependency after editing pyproject.toml.
lock: | $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o requirements/base.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -q -o requirements/dev.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra test --python-version 3.11 --generate-hashes -q -o requirements/test.txt

clean:
	rm -rf $(VENV) .run staticfiles .pytest_cache .ruff_cache .mypy_cache
