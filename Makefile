# Two commands on a fresh machine: `make demo` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= demo

.PHONY: demo test typecheck install bench clean screenshot

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The demo is plain tattletrail commands on a generated trail; each can be run by hand.
TT    := $(BIN)/tattletrail
STORE := duckdb://$(CURDIR)/$(DEMO)/events.duckdb

demo: $(STAMP)
	rm -rf $(DEMO)
	$(TT) generate $(DEMO)/trail --days 2 --seed 7
	$(TT) ingest $(DEMO)/trail --store $(STORE)
	$(TT) stats --store $(STORE)
	@echo; echo "== Who changed routes (the default route deleted: DeleteRoute by DOE1)"
	$(TT) search --saved route-changes --store $(STORE)
	@echo; echo "== Ingress opened to the world"
	$(TT) search --saved ingress-open-to-world --store $(STORE)
	@echo; echo "== IAM changes, root activity, console logins without MFA, CloudTrail changes"
	$(TT) search 'eventName:(CreateUser OR CreateAccessKey)' --store $(STORE)
	$(TT) search --saved root-activity --store $(STORE)
	$(TT) search --saved console-logins-without-mfa --store $(STORE)
	$(TT) search --saved cloudtrail-changes --store $(STORE)
	@echo; echo "== Denied calls by actor"
	$(TT) count --saved denied-calls --by actor --store $(STORE)
	@echo; echo "== The last 24 hours, riskiest first"
	$(TT) report --since 24h --format html --out $(DEMO)/report.html --store $(STORE)
	$(TT) report --since 24h --store $(STORE)
	@echo; echo "HTML report: $(DEMO)/report.html   Store: $(STORE)"
	@echo "Try: $(TT) search 'eventName:Delete*' --store $(STORE)"

# docs/report.png (shown in the README): the HTML report of a fixed demo day, as headless Chromium
# draws it 1400 px wide. Needs Debian's chromium (apt-get install -y chromium).
SHOT      := $(abspath $(DEMO)-screenshot)
SHOTSTORE := duckdb://$(SHOT)/events.duckdb
CHROMIUM  ?= chromium

screenshot: $(STAMP)
	rm -rf $(SHOT)
	$(TT) generate $(SHOT)/trail --days 2 --seed 7 --end 2026-11-23T10:40:00Z
	$(TT) ingest $(SHOT)/trail --store $(SHOTSTORE)
	TATTLETRAIL_CHECK_STATE=$(SHOT)/checks-state.sqlite $(TT) report --since 2026-11-22T10:40:00Z \
	  --until 2026-11-23T10:40:00Z --format html --out $(SHOT)/report.html --store $(SHOTSTORE)
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir=$(SHOT)/chromium \
	  --screenshot=$(CURDIR)/docs/report.png --window-size=1400,1000 file://$(SHOT)/report.html
	@echo "wrote docs/report.png"

# mypy strict on the package ([tool.mypy] in pyproject.toml): a type error fails `make test` before the suite runs.
typecheck: $(STAMP)
	$(BIN)/python -m mypy

test: typecheck
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) $(DEMO) $(SHOT) .pytest_cache .mypy_cache build dist *.egg-info
