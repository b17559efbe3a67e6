package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Section e's targets.
const (
	lambdaMaxSize  = 20e6 // bytes (MB as in the issue)
	lambdaMaxStart = 50 * time.Millisecond
)

// rieModule is the pinned aws-lambda-rie (Makefile.pipeline.mk's RIE_VERSION).
const rieModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

// generatorPkg is the generator Lambda's main package.
const generatorPkg = "./functions/generator"

// lambdaSection is section e: the size of the generator's linux/arm64
// bootstrap as deployed, and the time from starting aws-lambda-rie with a
// host build of the same bootstrap to the answer of its first invocation.
//
// The invocation is `{}`, which the generator refuses at once as a bad input
// (no run id) after its whole init: environment, AWS configuration, clients.
// So the figure is the cold start (process start, Go runtime, init, the
// Runtime API round trip) with no AWS call in it, plus aws-lambda-rie's own
// start, which makes it an upper bound of the bootstrap's part.
func lambdaSection(ctx context.Context, cfg Config) []Row {
	const sizeName, startName = "generator bootstrap, linux/arm64, stripped", "cold start to first answer under aws-lambda-rie"
	sizeTarget, startTarget := "<= 20 MB", "<= 50 ms"
	if !cfg.Lambda {
		return []Row{
			naRow("e", sizeName, sizeTarget, "not run in this configuration"),
			naRow("e", startName, startTarget, "not run in this configuration"),
		}
	}
	root, err := moduleRoot(cfg.ModuleRoot)
	if err == nil {
		_, err = os.Stat(filepath.Join(root, filepath.FromSlash(generatorPkg), "main.go"))
	}
	if err != nil {
		why := fmt.Sprintf("no generator Lambda to measure (%s/main.go): %v", generatorPkg, err)
		return []Row{naRow("e", sizeName, sizeTarget, why), naRow("e", startName, startTarget, why)}
	}
	tmp, err := os.MkdirTemp("", "sdrbench-lambda-")
	if err != nil {
		return []Row{naRow("e", sizeName, sizeTarget, err.Error()), naRow("e", startName, startTarget, err.Error())}
	}
	defer os.RemoveAll(tmp)

	var rows []Row
	arm := filepath.Join(tmp, "arm64", "bootstrap")
	buildStart := time.Now()
	if err := buildBootstrap(ctx, root, "arm64", arm); err != nil {
		rows = append(rows, naRow("e", sizeName, sizeTarget, err.Error()))
	} else if fi, err := os.Stat(arm); err != nil {
		rows = append(rows, naRow("e", sizeName, sizeTarget, err.Error()))
	} else {
		size := fi.Size()
		rows = append(rows, Row{
			Section: "e", Name: sizeName, Value: float64(size) / 1e6,
			Figure: fmt.Sprintf("%.1f MB", float64(size)/1e6), Target: sizeTarget,
			Status: verdict(size <= lambdaMaxSize),
			Note:   "CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -trimpath -ldflags='-s -w' (as Makefile.pipeline.mk builds it); the zip Lambda stores is smaller",
		})
	}
	cfg.progress("   arm64 build took %s", time.Since(buildStart).Round(time.Millisecond))

	host := filepath.Join(tmp, runtime.GOARCH, "bootstrap")
	if runtime.GOOS != "linux" {
		return append(rows, naRow("e", startName, startTarget, "aws-lambda-rie runs Linux bootstraps; this is "+runtime.GOOS))
	}
	if runtime.GOARCH != "arm64" {
		if err := buildBootstrap(ctx, root, runtime.GOARCH, host); err != nil {
			return append(rows, naRow("e", startName, startTarget, err.Error()))
		}
	} else {
		host = arm
	}
	rie, err := findRIE(ctx, cfg, tmp)
	if err != nil {
		return append(rows, naRow("e", startName, startTarget, err.Error()))
	}
	var starts []time.Duration
	var lastErr error
	for range cfg.LambdaRuns {
		d, err := coldStart(ctx, rie, host)
		if err != nil {
			lastErr = err
			continue
		}
		starts = append(starts, d)
	}
	if len(starts) == 0 {
		return append(rows, naRow("e", startName, startTarget, fmt.Sprintf("no run answered: %v", lastErr)))
	}
	med := median(starts)
	note := fmt.Sprintf("median of %d runs (%s), from starting aws-lambda-rie with the %s bootstrap to the HTTP answer of an invocation with input {} (refused at once after the full init: no AWS call)",
		len(starts), msList(starts), runtime.GOARCH)
	if lastErr != nil {
		note += fmt.Sprintf("; %d run(s) failed: %v", cfg.LambdaRuns-len(starts), lastErr)
	}
	return append(rows, Row{
		Section: "e", Name: startName, Value: float64(med) / float64(time.Millisecond),
		Figure: ms(med), Target: startTarget, Status: verdict(med <= lambdaMaxStart), Note: note,
	})
}

// buildBootstrap builds the generator as deployed, for arch.
func buildBootstrap(ctx context.Context, root, arch, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-buildvcs=false", "-o", out, generatorPkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s for linux/%s: %v: %s", generatorPkg, arch, err, lastLines(b, 5))
	}
	return nil
}

// findRIE finds aws-lambda-rie: cfg.RIE, $AWS_LAMBDA_RIE, bin/tools (where
// `make rie` puts it), $PATH, or else installs the pinned version into dir.
func findRIE(ctx context.Context, cfg Config, dir string) (string, error) {
	root, _ := moduleRoot(cfg.ModuleRoot)
	for _, p := range []string{cfg.RIE, os.Getenv("AWS_LAMBDA_RIE"), filepath.Join(root, "bin", "tools", "aws-lambda-rie")} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	cmd := exec.CommandContext(ctx, "go", "install", rieModule)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("aws-lambda-rie not found and go install failed (run `make rie` or set AWS_LAMBDA_RIE): %v: %s", err, lastLines(b, 3))
	}
	return filepath.Join(dir, "aws-lambda-rie"), nil
}

// coldStart starts aws-lambda-rie with bootstrap on free loopback ports and
// times process start to the answer of the first invocation.
func coldStart(ctx context.Context, rie, bootstrap string) (time.Duration, error) {
	rieAddr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	apiAddr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cmd := exec.Command(rie, "--log-level", "error",
		"--runtime-interface-emulator-address", rieAddr, "--runtime-api-address", apiAddr, bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	// What the function needs to initialise; nothing here is ever called:
	// the endpoint is a closed loopback port and the input is refused first.
	cmd.Env = append(os.Environ(),
		"BUCKET=sdrbench", "TABLE=sdrbench", "SECRET_ID=sdrbench",
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=sdrbench", "AWS_SECRET_ACCESS_KEY=sdrbench",
		"AWS_ENDPOINT_URL=http://127.0.0.1:9", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=30")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	setProcessGroup(cmd)

	url := "http://" + rieAddr + "/2015-03-31/functions/function/invocations"
	client := &http.Client{Timeout: 15 * time.Second}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start aws-lambda-rie: %w", err)
	}
	defer func() {
		killProcessGroup(cmd)
		_ = cmd.Wait()
	}()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader("{}"))
		if err != nil {
			return 0, err
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			took := time.Since(start)
			if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"errorType":"InputError"`)) {
				return 0, fmt.Errorf("unexpected answer %s: %.200s (logs: %s)", resp.Status, body, lastLines(logs.Bytes(), 5))
			}
			return took, nil
		}
		if ctx.Err() != nil {
			return 0, fmt.Errorf("no answer within 20 s: %v (logs: %s)", err, lastLines(logs.Bytes(), 5))
		}
		var opErr *net.OpError
		if !errors.As(err, &opErr) {
			return 0, err
		}
		time.Sleep(200 * time.Microsecond) // not listening yet
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// moduleRoot is dir, or the nearest parent of the working directory with a
// go.mod.
func moduleRoot(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
	}
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], " | ")
}

func msList(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
	}
	return strings.Join(parts, ", ") + " ms"
}
