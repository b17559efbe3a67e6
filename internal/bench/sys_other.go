//go:build !unix

package bench

import (
	"os/exec"
	"time"
)

func cpuTime() (time.Duration, bool) { return 0, false }

func peakRSS() (int64, bool) { return 0, false }

func setProcessGroup(*exec.Cmd) {}

func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
