//go:build !linux

package awstest

import (
	"os/exec"
	"syscall"
)

// sysProcAttr has no parent-death signal outside Linux: call Shutdown (or use
// Main from TestMain) to end moto.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
