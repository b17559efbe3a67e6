package infra_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	npmOnce sync.Once
	npmErr  error
)

// nodeTools makes sure infra/node_modules holds the locked Node tools
// (aws-local-stepfunctions, asl-validator), running `npm ci` once when a
// fresh clone has none, and returns the infra directory.
func nodeTools(t testing.TB) string {
	t.Helper()
	infra := filepath.Join(repoRoot(t), "infra")
	npmOnce.Do(func() {
		marker := filepath.Join(infra, "node_modules", "aws-local-stepfunctions", "package.json")
		validator := filepath.Join(infra, "node_modules", "asl-validator", "package.json")
		if fileExists(marker) && fileExists(validator) {
			return
		}
		if _, err := exec.LookPath("npm"); err != nil {
			npmErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = infra
		if out, err := cmd.CombinedOutput(); err != nil {
			npmErr = &cmdError{"npm ci in infra/", err, string(out)}
		}
	})
	if npmErr != nil {
		t.Fatalf("Node tools unavailable (need node and npm): %v", npmErr)
	}
	return infra
}

type cmdError struct {
	what string
	err  error
	out  string
}

func (e *cmdError) Error() string { return e.what + ": " + e.err.Error() + "\n" + e.out }

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestASLValidator runs asl-validator on the definition exactly as it
// deploys (placeholders and all).
func TestASLValidator(t *testing.T) {
	infra := nodeTools(t)
	cmd := exec.Command("npx", "--no-install", "asl-validator", "--json-path", "statemachine.asl.json")
	cmd.Dir = infra
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("asl-validator: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "is valid") {
		t.Fatalf("asl-validator said: %s", out)
	}
}

// TestCfnLint runs cfn-lint, which understands SAM, on template.yaml.
func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("cfn-lint not found: pip install cfn-lint")
	}
	cmd := exec.Command(bin, "template.yaml")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cfn-lint template.yaml: %v\n%s", err, out)
	}
}
