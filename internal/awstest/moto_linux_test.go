package awstest

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNoOrphan runs a child test binary that starts moto and then dies by
// SIGKILL, without any cleanup; the moto it started must not survive it.
func TestNoOrphan(t *testing.T) {
	if os.Getenv("AWSTEST_ORPHAN_CHILD") == "1" {
		m := Moto(t)
		os.Stdout.WriteString("PID " + strconv.Itoa(m.cmd.Process.Pid) + "\n")
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	Moto(t) // fail here, clearly, if moto_server is missing

	// Become the orphan's new parent so it can be reaped here: otherwise it
	// goes to PID 1, which may leave the dead process as a zombie.
	const prSetChildSubreaper = 36
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		t.Skipf("prctl(PR_SET_CHILD_SUBREAPER): %v", errno)
	}
	defer syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 0, 0)

	cmd := exec.Command(os.Args[0], "-test.run=^TestNoOrphan$")
	cmd.Env = append(os.Environ(), "AWSTEST_ORPHAN_CHILD=1")
	out, _ := cmd.Output()
	var pid int
	for line := range strings.Lines(string(out)) {
		if rest, ok := strings.CutPrefix(line, "PID "); ok {
			pid, _ = strconv.Atoi(strings.TrimSpace(rest))
		}
	}
	if pid == 0 {
		t.Fatalf("child did not report a moto pid; output:\n%s", out)
	}

	reaped := make(chan syscall.WaitStatus, 1)
	go func() {
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
			t.Errorf("wait for moto_server %d: %v", pid, err)
		}
		reaped <- ws
	}()
	select {
	case ws := <-reaped:
		if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Errorf("moto_server ended with %v, want SIGKILL", ws)
		}
	case <-time.After(30 * time.Second):
		syscall.Kill(pid, syscall.SIGKILL)
		<-reaped
		t.Fatalf("moto_server %d outlived its test binary", pid)
	}
}
