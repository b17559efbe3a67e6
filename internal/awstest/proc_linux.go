package awstest

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts moto in its own process group (so killGroup reaches
// anything it spawns) and asks the kernel to SIGKILL it if the test binary
// dies first (a panic, a -timeout, a kill -9).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
