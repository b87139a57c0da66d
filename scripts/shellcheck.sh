#!/usr/bin/env bash
# Runs shellcheck on every shell script in the repository, found by content, not by a list: a
# sh/bash/dash shebang, or a `# shellcheck shell=` directive (sourced libraries such as
# scripts/lib.sh). Jinja templates (*.j2) are not shell until rendered: tests/templates
# renders and checks those.
# Prints the scripts it checked to stderr; exits non-zero on any finding.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"

# Tracked and not-ignored new files, so a script is checked before its first commit.
shell_scripts() {
  local file first
  while IFS= read -r -d '' file; do
    [[ -f "$file" && "$file" != *.j2 ]] || continue
    IFS= read -r first <"$file" || true
    if [[ "$first" =~ ^\#!\ *(/usr)?/bin/(env\ +)?(ba|da)?sh([[:space:]]|$) ]] \
      || grep -qE '^# shellcheck shell=(ba|da)?sh\b' "$file"; then
      printf '%s\n' "$file"
    fi
  done < <(git ls-files -z --cached --others --exclude-standard)
}

main() {
  ensure_shellcheck
  local scripts=()
  mapfile -t scripts < <(shell_scripts)
  [[ ${#scripts[@]} -gt 0 ]] || die "no shell scripts found: is ${repo_root} a git checkout?"
  log "shellcheck $(shellcheck --version | sed -n 's/^version: //p') on ${#scripts[@]} scripts: ${scripts[*]}"
  # -x follows `source`; .shellcheckrc says where sourced files are.
  shellcheck -x "${scripts[@]}"
}

main "$@"
