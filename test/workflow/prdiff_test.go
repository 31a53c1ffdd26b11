package workflow

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeGH records its calls, answers the comment lookup with $EXISTING and
// keeps the comment body it is given.
const fakeGH = `#!/bin/sh
echo "$*" >> "$OUT/gh.log"
case "$1 $2" in
  "api repos/{owner}/{repo}/issues/"*"/comments") printf '%s' "$EXISTING"; exit 0;;
esac
prev=""
for a in "$@"; do
  case "$a" in body=@*) cp "${a#body=@}" "$OUT/body.md";; esac
  if [ "$prev" = "--body-file" ]; then cp "$a" "$OUT/body.md"; fi
  prev="$a"
done
`

// fakeNPX answers `cdk diff` for the stack it is asked about.
const fakeNPX = `#!/bin/sh
for last in "$@"; do :; done
printf 'Stack %s\nResources\n[~] AWS::SQS::Queue Queue\n\nNumber of stacks with differences: 1\n' "$last"
`

// runPRDiff runs scripts/pr-diff.sh in a directory holding a synthesized
// assembly of two stacks, with stand-ins for the CDK CLI and the GitHub CLI.
func runPRDiff(t *testing.T, existing string) (body, ghLog string) {
	t.Helper()
	script, _ := filepath.Abs("../../scripts/pr-diff.sh")
	dir, bin, out := t.TempDir(), t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "cdk.out"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"brokerage-dev-eu-west-2-regional", "brokerage-dev-us-east-1-edge"} {
		if err := os.WriteFile(filepath.Join(dir, "cdk.out", f+".template.json"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range map[string]string{"gh": fakeGH, "npx": fakeNPX} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", script, "dev", "7")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "OUT="+out, "EXISTING="+existing, "GITHUB_SHA=abc123")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pr-diff.sh: %v\n%s", err, b)
	}
	b, err := os.ReadFile(filepath.Join(out, "body.md"))
	if err != nil {
		t.Fatalf("no comment posted: %v", err)
	}
	l, _ := os.ReadFile(filepath.Join(out, "gh.log"))
	return string(b), string(l)
}

// One comment per stage, with a section per stack holding its diff.
func TestPRDiffPostsTheDiffOfEveryStack(t *testing.T) {
	body, ghLog := runPRDiff(t, "")
	for _, want := range []string{
		"<!-- cdk-diff:dev -->",
		"commit abc123",
		"<code>brokerage-dev-eu-west-2-regional</code>: Number of stacks with differences: 1",
		"Stack brokerage-dev-eu-west-2-regional\nResources\n[~] AWS::SQS::Queue Queue",
		"<code>brokerage-dev-us-east-1-edge</code>: Number of stacks with differences: 1",
		"Stack brokerage-dev-us-east-1-edge",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("comment lacks %q:\n%s", want, body)
		}
	}
	if !strings.Contains(ghLog, "pr comment 7 --body-file") {
		t.Errorf("no new comment on #7; gh calls:\n%s", ghLog)
	}
}

// A later push replaces the stage's comment instead of adding another.
func TestPRDiffReplacesItsEarlierComment(t *testing.T) {
	_, ghLog := runPRDiff(t, "42")
	if !strings.Contains(ghLog, "api --method PATCH repos/{owner}/{repo}/issues/comments/42") || strings.Contains(ghLog, "pr comment") {
		t.Errorf("comment 42 not replaced; gh calls:\n%s", ghLog)
	}
}
