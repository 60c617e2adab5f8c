package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// SimProcess is the simulator in a process of its own (cmd/ccc-sim), as CCC
// always is in production: it still runs on this machine's cores, but its
// allocations are not in the measured process's heap and its goroutines not
// in its scheduler. With the simulator in-process, every path measured pays
// for collecting the simulator's garbage too.
type SimProcess struct {
	URL  string // http://127.0.0.1:port
	Addr string // 127.0.0.1:port
	Seed int64  // the seed of its data

	cmd    *exec.Cmd
	exited chan error
}

// BuildSim compiles cmd/ccc-sim into dir and returns the binary's path.
func BuildSim(ctx context.Context, dir string) (string, error) {
	return buildCommand(ctx, dir, "ccc-sim")
}

// simListening is the line cmd/ccc-sim prints once it serves.
const simListening = "listening on "

// StartSimProcess starts bin (BuildSim) on a free loopback port with the
// given seed and returns once it serves.
func StartSimProcess(ctx context.Context, bin string, seed int64) (*SimProcess, error) {
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--seed", strconv.FormatInt(seed, 10))
	cmd.Env = SanitizedEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &SimProcess{Seed: seed, cmd: cmd, exited: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stderr)
		var said strings.Builder
		for {
			line, err := r.ReadString('\n')
			if _, url, ok := strings.Cut(line, simListening); ok {
				found <- strings.TrimSpace(url)
				break
			}
			said.WriteString(line)
			if err != nil {
				found <- "\x00" + said.String()
				break
			}
		}
		_, _ = io.Copy(io.Discard, r) // never let a full pipe stop it
		p.exited <- cmd.Wait()
	}()
	wait := time.NewTimer(10 * time.Second)
	defer wait.Stop()
	select {
	case url := <-found:
		if msg, failed := strings.CutPrefix(url, "\x00"); failed {
			<-p.exited
			return nil, fmt.Errorf("%s exited before serving: %s", bin, strings.TrimSpace(msg))
		}
		p.URL = url
		p.Addr = strings.TrimPrefix(url, "http://")
		return p, nil
	case <-wait.C:
		p.Close()
		return nil, errors.New("bench: the simulator process did not say where it listens within 10 s")
	case <-ctx.Done():
		p.Close()
		return nil, fmt.Errorf("bench: stopped waiting for the simulator process: %w", ctx.Err())
	}
}

// Close stops the process and waits for it.
func (p *SimProcess) Close() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	p.cmd.Process = nil
}
