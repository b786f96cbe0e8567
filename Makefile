# Two commands do everything on a fresh machine: `make run` and `make test`.
# Each creates the virtualenv, installs the pinned dependencies and trains the model
# only when needed (see bot/training.py for the model fingerprint).

VENV   := .venv
PY     := $(VENV)/bin/python
BOT    := $(VENV)/bin/bot
STAMP  := $(VENV)/.installed

.PHONY: install train run shell test eval validate compare-pipelines lock clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@./scripts/find-python310 >/dev/null
	@test -x $(PY) || $$(./scripts/find-python310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==24.0"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

train: install
	$(BOT) train

run: train
	$(BOT) run

shell: train
	$(BOT) shell

validate: install
	$(BOT) validate

eval: train
	$(BOT) eval

compare-pipelines: install
	$(BOT) compare-pipelines

test: train
	$(PY) -m pytest

# Regenerate requirements.lock from requirements.in in a scratch virtualenv.
lock:
	rm -rf /tmp/lock-venv && $$(./scripts/find-python310) -m venv /tmp/lock-venv
	/tmp/lock-venv/bin/pip install --quiet "pip==24.0" && /tmp/lock-venv/bin/pip install --quiet -r requirements.in
	/tmp/lock-venv/bin/pip freeze --exclude-editable | grep -v -E '^(pip|setuptools|wheel)==' > requirements.lock

clean:
	rm -rf $(VENV) models .rasa results
