#!/usr/bin/env bash
# The README's demo: a throwaway store made from the sample records, and the main commands on it.
set -euo pipefail
project="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$project/.venv/bin:$PATH"
work="$(mktemp -d "${TMPDIR:-/tmp}/formulactl-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# Nothing here may read or change your own git config or keys.
export HOME="$work/home" GIT_CONFIG_GLOBAL="$work/home/.gitconfig" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"

say() { printf '\n\033[1m# %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }
fails() { printf '\033[2m$ %s\033[0m\n' "$*"; if "$@"; then echo "demo: expected a refusal" >&2; exit 1; fi; }

say "Create a store and copy in the sample records (customers, formulas, materials, ...)"
run formulactl init "$work/store"
cp -r "$project/records/." "$work/store/records/"
cd "$work/store"

say "Check every record against its schema and the store's rules"
run formulactl validate

say "List and show records"
run formulactl list formula --where status=approved
run formulactl show F-000005

say "Log a customer visit: a new record with the next free ID"
visit=$(formulactl new interaction --set customer=C-00001 --set channel=visit --set by=li.wei \
  --set "summary=回访：客户确认新批次颜色一致")
run formulactl show "$visit"

say "A change that breaks a rule is refused, and nothing is written"
fails formulactl set F-000007 "ingredients[0].percent=99"

say "YAML pitfalls are errors with file:line:col, never silent type changes"
printf 'id: C-00099\nname: Pitfall Ltd\nname: again\n' > records/customers/C-00099.yaml
fails formulactl validate records/customers/C-00099.yaml
rm records/customers/C-00099.yaml

say "Files stay in canonical form, so diffs stay minimal"
run formulactl fmt --check

say "Done. The store was at $work/store and is removed now."
