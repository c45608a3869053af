# Quick start: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# pytest-xdist workers for `make test`: auto is one per CPU (docs/benchmarks.md, "The test suite").
TEST_WORKERS ?= auto

.PHONY: setup system demo test lint format messages screenshots bench clean scale

setup: $(VENV)/.installed system

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

system:
	@./scripts/system-deps.sh

demo: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The browser tests also run on old Chromium engines (docs/tablets.md, "Browsers"); fetched once.
test: setup
	$(BIN)/python scripts/old_chromium.py
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

lint:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages:
	$(BIN)/python manage.py makemessages -l en --no-location --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/python manage.py compilemessages -l en --ignore '.venv/*'

screenshots:  # against a running `make demo`
	$(BIN)/python scripts/screenshots.py --base-url http://127.0.0.1:8000

# Several application hosts behind HAProxy (docs/deployment.md, section 8; docs/benchmarks.md,
# "Several application servers"). Needs HAProxy (apt-get install -y haproxy), PostgreSQL and
# Redis on 127.0.0.1; about 8 minutes. `make scale SCALE_ARGS=--quick` for a smoke run.
scale: setup
	$(BIN)/python bench/scale/run.py $(SCALE_ARGS)

clean:
	rm -rf $(VENV) var/db.sqlite3
