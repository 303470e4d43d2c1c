# ecs-doctor: `make test` runs every test against a local AWS (moto); `make demo` shows a broken
# service diagnosed end to end. Both create the Python tooling in .venv first.

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: venv test demo clean-venv

venv: $(STAMP)

# Re-created when requirements-dev.txt changes; idempotent otherwise.
$(STAMP): requirements-dev.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

test: venv
	cargo test --all-targets --no-fail-fast

demo: venv
	scripts/demo.sh

clean-venv:
	rm -rf $(VENV)
