//go:build unix

package bench

import (
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) this process has used so far.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// peakRSS is this process's peak resident set size in bytes. Linux's
// VmHWM comes first: getrusage's ru_maxrss of a process started by
// os/exec also counts its parent's peak (the exec'd child inherits the
// high-water mark of the address space it was cloned with).
func peakRSS() (int64, bool) {
	if hwm := procStatus("VmHWM:"); hwm > 0 {
		return hwm, true
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return maxrssBytes(int64(ru.Maxrss)), true
}

// maxrssBytes converts ru_maxrss: kilobytes on Linux, bytes on Darwin.
func maxrssBytes(v int64) int64 {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return v
	}
	return v * 1024
}

// setProcessGroup puts cmd in a process group of its own, so that
// killProcessGroup also ends what it started (aws-lambda-rie's bootstrap).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup kills the process group cmd leads (only processes this
// bench started).
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
