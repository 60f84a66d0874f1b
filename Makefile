# Guichet — `make run` and `make test` do all the set-up themselves on a fresh machine.
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
VENV := .venv
PY := $(VENV)/bin/python
GUICHET := $(VENV)/bin/guichet
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
PO_FILES := $(wildcard locales/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3

.PHONY: setup run chat test train nlu-test kb-validate kb-import catalogs i18n-extract i18n-update bench postgres voice clean

## setup: environment, dependencies, compiled catalogs, trained NLU model, database schema upgraded, loaded knowledge,
## the programs that read answers aloud (quick when nothing changed)
setup: $(STAMP) catalogs model knowledge voice

voice:
	@bash deploy/voice-packages.sh

$(STAMP): requirements.lock pyproject.toml
	@python_bin=$$(PYENV_VERSION=$(PYTHON_VERSION) pyenv which python 2>/dev/null || command -v python3.10 || true); \
	if [ -z "$$python_bin" ]; then echo "Python 3.10 is needed: pyenv install $(PYTHON_VERSION)"; exit 1; fi; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then \
		rm -rf $(VENV) && $$python_bin -m venv $(VENV); fi
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==24.0" "setuptools==70.3.0" "wheel==0.45.1"
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-* && touch $@

catalogs: $(MO_FILES)

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(STAMP)
	$(VENV)/bin/pybabel compile --use-fuzzy -i $< -o $@

model: $(STAMP)
	$(GUICHET) train

knowledge: $(STAMP) catalogs
	$(GUICHET) db upgrade
	$(GUICHET) kb import --if-changed

## run: the Telegram bot when TELEGRAM_BOT_TOKEN is set, else the terminal chat
run: setup
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ] || grep -qs '^TELEGRAM_BOT_TOKEN=.' .env; then \
		$(GUICHET) run; \
	else \
		echo "TELEGRAM_BOT_TOKEN is not set: starting the terminal chat on the same assistant."; \
		echo "To connect Telegram: get a token from @BotFather, then TELEGRAM_BOT_TOKEN=<token> make run (or put it in .env)."; \
		$(GUICHET) chat; \
	fi

chat: setup
	$(GUICHET) chat

## test: the whole suite (SQLite and PostgreSQL, real NLU model, real Telegram stack against a fake Bot API)
test: setup postgres
	$(PY) -m pytest -q -p no:cacheprovider

postgres:
	@bash tests/postgres.sh

train: $(STAMP)
	$(GUICHET) train --force

nlu-test: setup
	$(GUICHET) nlu test

kb-validate: $(STAMP) catalogs
	$(GUICHET) kb validate

kb-import: $(STAMP) catalogs
	$(GUICHET) kb import

bench: setup
	$(GUICHET) bench

## i18n-extract / i18n-update: refresh the template and merge new strings into every catalog
i18n-extract: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k _p -k N_ --no-location --sort-output --project=guichet -o locales/messages.pot bot/

i18n-update: i18n-extract
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching

clean:
	rm -rf $(VENV) models reports .rasa $(MO_FILES)
