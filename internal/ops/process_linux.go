package ops

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"sync"
	"syscall"
)

// processCollector writes the process's metrics under client_golang's
// names and HELP texts, from getrusage, getrlimit and /proc/self. Left
// out: process_network_*_bytes_total, which client_golang reads from
// /proc/self/net/netstat — the totals of the whole network namespace, not
// of this process.
type processCollector struct{}

var processNames = []string{
	"process_cpu_seconds_total", "process_max_fds", "process_open_fds", "process_resident_memory_bytes",
	"process_start_time_seconds", "process_virtual_memory_bytes", "process_virtual_memory_max_bytes",
}

// userHZ is the clock tick of /proc/*/stat times (USER_HZ, 100 on every
// Linux platform Go supports; procfs assumes it too).
const userHZ = 100

func (processCollector) collect(_ context.Context, e *encoder) {
	gauge := func(name, help string, v float64) {
		e.family(name, help, "gauge")
		e.float(name, nil, nil, "", "", v)
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		const name = "process_cpu_seconds_total"
		e.family(name, "Total user and system CPU time spent in seconds.", "counter")
		e.float(name, nil, nil, "", "", float64(ru.Utime.Nano()+ru.Stime.Nano())/1e9)
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		gauge("process_max_fds", "Maximum number of open file descriptors.", float64(lim.Cur))
	}
	if n, err := openFDs(); err == nil {
		gauge("process_open_fds", "Number of open file descriptors.", float64(n))
	}
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := bytes.Fields(b); len(f) >= 2 {
			page := float64(os.Getpagesize())
			if size, err := strconv.ParseUint(string(f[0]), 10, 64); err == nil {
				gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", float64(size)*page)
			}
			if rss, err := strconv.ParseUint(string(f[1]), 10, 64); err == nil {
				gauge("process_resident_memory_bytes", "Resident memory size in bytes.", float64(rss)*page)
			}
		}
	}
	if start, err := startTime(); err == nil {
		gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", start)
	}
	if syscall.Getrlimit(syscall.RLIMIT_AS, &lim) == nil {
		gauge("process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.", float64(lim.Cur))
	}
}

// openFDs counts /proc/self/fd's entries (the descriptor reading it
// included, as procfs counts).
func openFDs() (int, error) {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0, err
	}
	defer d.Close()
	n := 0
	for {
		names, err := d.Readdirnames(256)
		n += len(names)
		if err != nil || len(names) == 0 {
			return n, nil
		}
	}
}

// startTime is the process's start, in seconds since the epoch: its start
// in clock ticks after boot (/proc/self/stat field 22) plus the boot time
// (/proc/stat btime). It does not change, so it is read once.
var startTime = sync.OnceValues(func() (float64, error) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 {
		stat = stat[i+1:]
	}
	f := bytes.Fields(stat) // f[0] is field 3 (state)
	if len(f) < 20 {
		return 0, syscall.EINVAL
	}
	ticks, err := strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return 0, err
	}
	procStat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(procStat) {
		if rest, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			boot, err := strconv.ParseUint(string(bytes.TrimSpace(rest)), 10, 64)
			if err != nil {
				return 0, err
			}
			return float64(boot) + float64(ticks)/userHZ, nil
		}
	}
	return 0, syscall.EINVAL
})
