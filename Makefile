# Entry points. Each target installs what it needs on a fresh Debian/Ubuntu machine.
# Every target has a one-line `## description`: `make help` (or plain `make`) lists them.
.PHONY: help demo down status rollback test lint unit molecule bench bench-converge docs

help:  ## List the targets with what they do
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / { printf "  make %-10s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

demo:  ## Run site.yml against a local throw-away VPS container with local stand-ins
	./scripts/demo.sh up

down:  ## Remove the local VPS container and stand-ins
	./scripts/demo.sh down

status:  ## Every watchdog check's state on the local demo VPS, one table (changes nothing)
	.venv/bin/ansible-playbook playbooks/status.yml -i inventory/local

rollback:  ## Switch the local demo back to the release active before (RELEASE=id picks one)
	.venv/bin/ansible-playbook playbooks/rollback.yml -i inventory/local $(if $(RELEASE),-e release=$(RELEASE))

test:  ## Every check: lint, unit tests, molecule scenarios, the whole site on the demo
	./scripts/test.sh

lint:  ## Static checks: shellcheck, yamllint, ansible-lint, ruff, playbook syntax
	./scripts/test.sh lint

unit:  ## pytest: repository tests (templates, role specs, modules) and the service's
	./scripts/test.sh unit

molecule:  ## Every molecule scenario against systemd containers (slow)
	./scripts/test.sh molecule

bench:  ## Service benchmarks (tables, not gates)
	./scripts/bench.sh

bench-converge:  ## Time no-op re-runs of site.yml on the local VPS (RUNS=N KEEP=1 BASE=dir MITOGEN=1)
	./scripts/bench-converge.sh --runs $(or $(RUNS),3) $(if $(KEEP),--keep) $(if $(BASE),--base $(BASE)) \
	  $(if $(MITOGEN),--mitogen)

docs:  ## Regenerate the role READMEs' variable tables from meta/argument_specs.yml
	.venv/bin/python scripts/role_docs.py
