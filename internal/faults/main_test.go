package faults

import (
	"fmt"
	"os"
	"testing"

	"github.com/cja-sdr/cja-sdr/internal/awstest"
)

// TestMain keeps every run's files until the whole suite is done, so the
// secret scan (zz_secrets_test.go) can read what every scenario left behind,
// and ends the moto_server the engine scenarios start.
func TestMain(m *testing.M) {
	root, err := os.MkdirTemp("", "cja-sdr-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	suite.root = root
	code := awstest.Main(m)
	os.RemoveAll(root)
	os.Exit(code)
}
