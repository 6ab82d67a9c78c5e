#!/usr/bin/env bash
# The README's demo: two people with throwaway keys share a store through a server
# repository. One enters a formula, the other approves it, and anyone can verify it.
set -euo pipefail
project="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$project/.venv/bin:$PATH"
work="$(mktemp -d "${TMPDIR:-/tmp}/formulactl-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# Nothing here may read or change your own git config or keys.
export HOME="$work/home" GIT_CONFIG_GLOBAL="$work/home/.gitconfig" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME" "$work/keys"

say() { printf '\n\033[1m# %s\033[0m\n' "$*"; }
run() { printf '\033[2m%s$ %s\033[0m\n' "${who:-}" "$*"; "$@"; }
fails() {
  printf '\033[2m%s$ %s\033[0m\n' "${who:-}" "$*"
  if "$@"; then echo "demo: expected a refusal" >&2; exit 1; fi
}

say "Four people, each with a throwaway SSH key: 陈静 (QA lead), 张敏 (formulator), 王芳 (auditor), 李伟 (account manager)"
for person in chen zhang wang li; do ssh-keygen -q -t ed25519 -N "" -C "$person" -f "$work/keys/$person"; done
git init -q --bare --initial-branch=main "$work/server.git"

say "陈静 creates the store, founds its team and imports the existing archive"
who="chen "
run formulactl init "$work/chen"
cd "$work/chen"
run formulactl setup-signing --key "$work/keys/chen"
run formulactl team add chen.jing --name "陈静 Chen Jing" --email chen.jing@example.com \
  --role entry --role approver --key "$work/keys/chen.pub"
run formulactl team add zhang.min --name "张敏 Zhang Min" --email zhang.min@example.com \
  --role entry --key "$work/keys/zhang.pub"
run formulactl team add wang.fang --name "王芳 Wang Fang" --email wang.fang@example.com \
  --role auditor --key "$work/keys/wang.pub"
run formulactl team add li.wei --name "李伟 Li Wei" --email li.wei@example.com \
  --role entry --key "$work/keys/li.pub"
run formulactl import "$project/records" --reason "customer archive kept before formulactl"
# Formula work needs the store's currency, dated exchange rates and product types: the admin
# copies them from the project's settings in a signed commit of her own.
python - "$project/formulactl.yaml" formulactl.yaml <<'PY'
import sys
from formulactl.store import yamlio
from formulactl.store.store import Store
project = yamlio.load_record(open(sys.argv[1], "rb").read(), sys.argv[1], 1 << 20)
data = yamlio.load_record(open(sys.argv[2], "rb").read(), sys.argv[2], 1 << 20)
data.update({k: project[k] for k in ("cost_currency", "exchange_rates", "product_types", "exposures")})
open(sys.argv[2], "w", encoding="utf-8").write(yamlio.dump(data, Store(__import__("pathlib").Path(".")).schema("settings").shape))
PY
git commit -q -am "settings: cost currency, exchange rates and product types for formula work"
run formulactl validate
git remote add origin "$work/server.git" && git push -q origin main

say "张敏 clones it, enters a new formula version and submits it for review"
who="zhang "
git clone -q "$work/server.git" "$work/zhang"
cd "$work/zhang"
run formulactl setup-signing --key "$work/keys/zhang"
run formulactl whoami
run formulactl list formula --where customer=C-00001
formula=$(formulactl new formula --set customer=C-00001 --set "product=JH-N310 净味内墙乳胶漆" \
  --set "ingredients[material=M-00001].percent=30" --set "ingredients[material=M-00024].percent=42" \
  --set "ingredients[material=M-00002].percent=18" --set "ingredients[material=M-00003].percent=10")
run formulactl show "$formula"
run formulactl submit "$formula"
fails formulactl approve "$formula"
git push -q origin main

say "陈静 reviews and approves it; the approval is a signed commit bound to the content"
who="chen "
cd "$work/chen" && git pull -q --no-rebase origin main
run formulactl list formula --where status=in_review
run formulactl approve "$formula"
run git log -1 --format=%B
git push -q origin main

say "Anyone with a clone can verify the whole history offline"
run formulactl validate --history

say "Percentages are sealed in the file; only the formula's readers can open them"
run grep -m 2 "percent:" "records/formulas/$formula.yaml"
run formulactl show "$formula" --decrypt --identity "$work/keys/zhang"
fails formulactl show "$formula" --decrypt --identity "$work/keys/wang"
run formulactl access "$formula"

say "Formula work on the approved shower gel F-000014, for a reader of it"
export FORMULACTL_IDENTITY="$work/keys/chen"
run formulactl scale F-000014 --size 500kg
run formulactl cost F-000014 --what-if M-00078=+10%
fails formulactl check F-000014
run formulactl check F-000014 --market CN
run formulactl declare F-000014 --market EU --format markdown
run formulactl substitute --replace M-00027 --with M-00081 --dry-run
fails formulactl validate --decrypt
unset FORMULACTL_IDENTITY

say "张敏 moves to another plant: after a rekey her key no longer opens the formulas"
run formulactl team remove zhang.min --reason "moved to another plant"
run formulactl rekey --all --identity "$work/keys/chen"
fails formulactl show "$formula" --decrypt --identity "$work/keys/zhang"
run formulactl access --history "$formula"
run formulactl validate
run formulactl validate --history

say "Four eyes: 陈静 revises the formula herself, so she may not approve it"
run formulactl revise "$formula" --reason "customer asks for lower odour"
run formulactl set "$formula" "notes=更换低气味成膜助剂后复测"
fails formulactl set "$formula" "ingredients[material=M-00001].percent=35" --identity "$work/keys/chen"
run formulactl submit "$formula"
fails formulactl approve "$formula"

say "YAML pitfalls are errors with file:line:col, never silent type changes"
printf 'id: C-00099\nname: Pitfall Ltd\nname: again\n' > records/customers/C-00099.yaml
fails formulactl validate records/customers/C-00099.yaml
rm records/customers/C-00099.yaml

say "The audit trail: who changed what, under which approval, and a full verification"
run formulactl log "$formula"
run formulactl blame "$formula" "ingredients[material=M-00001].percent"
run formulactl diff "$formula" 1 2
run formulactl show "$formula@1"
run formulactl audit verify

say "A complaint: trace it back to the lots, then forward from a lot to every customer"
run formulactl list feedback --where type=complaint --where status=investigating
run formulactl trace B-20261120-001 --identity "$work/keys/chen"
run formulactl trace --lot RH2611-2207 --identity "$work/keys/chen"
run formulactl where-used --lot RH2611-2207
run formulactl recall --lot RH2611-2207 --identity "$work/keys/chen" --format markdown
run formulactl recall --batch B-20261120-002
run formulactl active F-000003 --on "$(date +%F)"
fails formulactl trace B-20261120-003

say "Batch disposition: out of spec cannot be released; 陈静 rejects it, signed"
fails formulactl release B-20261120-002
run formulactl reject-batch B-20261120-002 --reason "细度 55 µm 超出 ≤ 50 µm"
run formulactl validate --history

say "The archive at work: likely duplicate customers, who is about to churn, complaints against targets"
run formulactl dedupe customer
run formulactl report churn
run formulactl report complaints

say "李伟 leaves: validate names the customers he owned, and 陈静 reassigns them in one signed commit"
run formulactl team remove li.wei --reason "left the company"
run formulactl rekey --all --identity "$work/keys/chen"
fails formulactl validate
run formulactl reassign --from li.wei --to chen.jing --reason "李伟离职，客户交接给陈静"
run formulactl validate
run formulactl validate --history

say "A backup with its restore drill (recorded as a signed event), then the picture for a manager"
run formulactl backup --to "$work/backups"
report="${TMPDIR:-/tmp}/formulactl-demo-report.html"
run formulactl report html --output "$report" --trace B-20261120-001

say "Done. Everything else was in $work and is removed now; open $report in a browser."
