package fanout

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// modulePath is this Go module's path: the redistributor's source ships in it.
const modulePath = "github.com/brokerage/platform"

// RedistributorCode is the redistributor's Lambda code, the default of
// IngestProps.RedistributorCode: lambda/redistributor of this module, built
// as ModuleLambda builds (the same source gives the same bytes, and the
// same asset hash, on every machine). It panics when it cannot build: the
// app is then not deployable.
func RedistributorCode() awslambda.Code { return ModuleLambda("lambda/redistributor") }

// goBuild compiles the main package in dir into out/bootstrap for
// provided.al2023 on arm64: static, without the RPC mode provided runtimes
// do not use, paths trimmed so that the same source gives the same bytes.
func goBuild(dir, out string) error {
	build := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-ldflags=-s -w",
		"-o", filepath.Join(out, "bootstrap"), ".")
	build.Dir = dir
	build.Env = append(build.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=readonly")
	if msg, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build in %s: %w\n%s", dir, err, msg)
	}
	return nil
}

// GoCode is the Lambda code of the Go main package in dir (relative to the
// working directory, as aws-cdk-lib's asset paths are), compiled as the
// redistributor is: a `bootstrap` for provided.al2023 on arm64. It builds
// with the go command once per directory and process (the go command's own
// cache makes an unchanged build quick) into the user's cache directory,
// by the binary's content, and panics when it cannot.
//
//	fanout.ConsumerProps{Name: "holdings", TimeoutSeconds: 60, Handler: fanout.GoCode("./holdings")}
func GoCode(dir string) awslambda.Code {
	abs, err := filepath.Abs(dir)
	if err == nil {
		once, _ := builds.LoadOrStore(abs, sync.OnceValues(func() (string, error) { return buildInto(abs) }))
		var out string
		if out, err = once.(func() (string, error))(); err == nil {
			return awslambda.Code_FromAsset(jsii.String(out), nil)
		}
	}
	panic(fmt.Errorf("fanout: building the Lambda in %s: %w", dir, err))
}

var builds sync.Map

// ModuleLambda is the Lambda code of a main package of this module, by its
// directory in the module ("lambda/holdings"), built as GoCode builds: the
// platform's reference consumers, for apps of this module or of one that
// requires it.
func ModuleLambda(dir string) awslambda.Code {
	root, err := moduleRoot()
	if err != nil {
		panic(fmt.Errorf("fanout: building the Lambda in %s: %w", dir, err))
	}
	return GoCode(filepath.Join(root, filepath.FromSlash(dir)))
}

// buildInto does GoCode's build of dir and returns the output directory.
func buildInto(dir string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	base := filepath.Join(cache, "brokerage-platform")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(base, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // after a rename, nothing is left to remove
	if err := goBuild(dir, tmp); err != nil {
		return "", err
	}
	binary, err := os.ReadFile(filepath.Join(tmp, "bootstrap"))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(binary)
	out := filepath.Join(base, "lambda-"+hex.EncodeToString(sum[:8]))
	// Another build of the same bytes may be there already.
	if err := os.Rename(tmp, out); err != nil {
		if _, statErr := os.Stat(filepath.Join(out, "bootstrap")); statErr != nil {
			return "", err
		}
	}
	return out, nil
}

// moduleRoot is this module's directory: where this file was compiled
// from, or, in a binary built with -trimpath, where the go command finds
// the module from the working directory.
func moduleRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		root := filepath.Join(filepath.Dir(file), "..", "..")
		if _, err := os.Stat(filepath.Join(root, "lambda", "redistributor")); err == nil {
			return root, nil
		}
	}
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", modulePath).Output()
	if err != nil {
		return "", fmt.Errorf("cannot find the source of %s: give the code yourself (IngestProps.RedistributorCode, ConsumerProps.Handler), or run from a module that requires it (%w)", modulePath, err)
	}
	return strings.TrimSpace(string(dir)), nil
}
