// Package awstest runs one moto_server per test binary and hands out AWS SDK
// clients pointed at it, so tests exercise the real S3, DynamoDB, Secrets
// Manager and Step Functions APIs without an AWS account.
//
// Packages whose tests use it should end the server when their tests finish:
//
//	func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }
//
// Without that the server still dies with the test binary on Linux (the
// child asks the kernel for SIGKILL when its parent goes), so no moto_server
// outlives `go test` either way.
package awstest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Region is the region every client uses; moto keeps state per region, so a
// single one keeps tests and helpers looking at the same resources.
const Region = "us-east-1"

// startTimeout bounds how long moto_server may take to answer. Python imports
// are slow on a busy 2-core machine, hence the generous value.
const startTimeout = 90 * time.Second

// MotoServer is a running moto_server.
type MotoServer struct {
	// Endpoint is the base URL, like http://127.0.0.1:41234.
	Endpoint string

	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has been reaped
	stderr *tail
	stop   sync.Once
}

var (
	once     sync.Once
	server   *MotoServer
	startErr error
)

// Moto returns the test binary's moto_server, starting it on first use. It
// fails the test if moto_server is missing or does not come up.
func Moto(t testing.TB) *MotoServer {
	t.Helper()
	once.Do(func() { server, startErr = start() })
	if startErr != nil {
		t.Fatal(startErr)
	}
	return server
}

// Shutdown ends the moto_server if one was started. Safe to call many times
// and when none was started.
func Shutdown() {
	if server != nil {
		server.kill()
	}
}

// Main runs the tests and then Shutdown, for use from TestMain:
// os.Exit(awstest.Main(m)).
func Main(m *testing.M) int {
	defer Shutdown()
	return m.Run()
}

func start() (*MotoServer, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, errors.New("moto_server not found: pip install 'moto[server]'")
	}
	// The free port is found by binding and releasing it, so another process
	// can take it before moto binds; retry with a new port when that happens.
	for attempt := 1; ; attempt++ {
		s, err := launch(bin)
		if err == nil || attempt == 3 {
			return s, err
		}
	}
}

func launch(bin string) (*MotoServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("find a free port for moto_server: %w", err)
	}
	s := &MotoServer{
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		exited:   make(chan struct{}),
		stderr:   &tail{max: 4096},
	}
	s.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	s.cmd.Stdout = s.stderr
	s.cmd.Stderr = s.stderr
	s.cmd.SysProcAttr = sysProcAttr()

	started := make(chan error, 1)
	// The parent-death signal is tied to the OS thread that forked the child,
	// not to the process: start it from a goroutine locked to its thread that
	// lives as long as the child, so the Go scheduler cannot retire that
	// thread and kill moto early.
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := s.cmd.Start(); err != nil {
			started <- err
			close(s.exited)
			return
		}
		started <- nil
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	if err := s.waitReady(); err != nil {
		s.kill()
		return nil, err
	}
	return s, nil
}

// waitReady polls until moto answers any HTTP request.
func (s *MotoServer) waitReady() error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.After(startTimeout)
	for {
		resp, err := client.Get(s.Endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("moto_server exited before answering on %s:\n%s", s.Endpoint, s.stderr)
		case <-deadline:
			return fmt.Errorf("moto_server did not answer on %s within %s:\n%s", s.Endpoint, startTimeout, s.stderr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *MotoServer) kill() {
	s.stop.Do(func() {
		killGroup(s.cmd)
		<-s.exited
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail keeps the last max bytes of moto's output: enough to explain a failed
// start, without growing with every request moto logs.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
