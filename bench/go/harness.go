// harness.go: the protocol every Go benchmark binary speaks
// (../shared/WORKLOADS.md), shared by the per-area programs.
//
//	BIN -list      one line per workload: "NAME PROCS"
//	BIN -w NAME    run one workload; "METRIC VALUE UNIT" lines on stdout,
//	               exit 1 when the workload's own result check fails.
//
// Each area (sched.go, map.go, iface.go) registers its workloads from an
// init function; the Makefile builds one binary per area by naming
// harness.go and that area's file on the go command line, so the three
// binaries share this file without a module or an import path (the build
// is offline, GO111MODULE=off).
//
// BENCH_SCALE (a float in (0,1], default 1) scales operation counts, as in
// the C programs (bench/c/bench.h).
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type workload struct {
	name  string
	procs string // "-" or "1,2"
	fn    func()
}

var workloads []workload

func register(name, procs string, fn func()) {
	workloads = append(workloads, workload{name, procs, fn})
}

var current string // the workload being run, for failure messages

func emit(metric string, value float64, unit string) {
	fmt.Printf("%s %.4f %s\n", metric, value, unit)
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "%s: self-check failed: %s\n", current, fmt.Sprintf(format, args...))
	os.Exit(1)
}

var scale = func() float64 {
	s := os.Getenv("BENCH_SCALE")
	if s == "" {
		return 1
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0) || f > 1 {
		fmt.Fprintf(os.Stderr, "BENCH_SCALE=%s: want a number in (0, 1]\n", s)
		os.Exit(2)
	}
	return f
}()

// scaled returns n scaled by BENCH_SCALE, at least 1.
func scaled(n int) int {
	r := int(float64(n) * scale)
	if r < 1 {
		return 1
	}
	return r
}

// rss returns VmRSS of this process in bytes, or -1.
func rss() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "VmRSS:") {
			fields := strings.Fields(line[6:])
			if len(fields) > 0 {
				kb, err := strconv.ParseInt(fields[0], 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	return -1
}

// nsPer is elapsed time divided by ops.
func nsPer(d time.Duration, ops int) float64 {
	return float64(d.Nanoseconds()) / float64(ops)
}

// settle is what WORKLOADS.md asks after untimed setup.
func settle() { runtime.GC() }

func main() {
	args := os.Args[1:]
	if len(args) == 1 && args[0] == "-list" {
		for _, w := range workloads {
			fmt.Printf("%s %s\n", w.name, w.procs)
		}
		return
	}
	if len(args) == 2 && args[0] == "-w" {
		for _, w := range workloads {
			if w.name == args[1] {
				current = w.name
				w.fn()
				return
			}
		}
		fmt.Fprintf(os.Stderr, "%s: no workload named '%s' (try -list)\n", os.Args[0], args[1])
		os.Exit(2)
	}
	fmt.Fprintf(os.Stderr, "usage: %s -list | -w NAME\n", os.Args[0])
	os.Exit(2)
}
