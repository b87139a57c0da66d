# Entry points. Each target installs what it needs on a fresh Debian/Ubuntu machine.
.PHONY: demo down test lint unit molecule bench docs

demo:  ## Run site.yml against a local throw-away VPS container with local stand-ins
	./scripts/demo.sh up

down:  ## Remove the local VPS container and stand-ins
	./scripts/demo.sh down

test:  ## Every check: lint, unit tests, molecule scenarios
	./scripts/test.sh

lint:
	./scripts/test.sh lint

unit:
	./scripts/test.sh unit

molecule:
	./scripts/test.sh molecule

bench:  ## Service benchmarks (tables, not gates)
	./scripts/bench.sh

docs:  ## Regenerate the role READMEs' variable tables from meta/argument_specs.yml
	.venv/bin/python scripts/role_docs.py
