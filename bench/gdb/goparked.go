// goparked.go: the Go program of issue 7's debugger benchmarks: N
// goroutines parked on a channel receive and one map of M entries
// (main.bigmap, keys and values 0..M-1), then "ready" on stdout and a long
// sleep (not a block: Go would report a deadlock) so gdb can attach or
// gcore it.  bench/gdb/cparked.c is the same program on libgort.
//
//	goparked NGOROUTINES NENTRIES
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

var bigmap map[int64]int64

func parked(ch chan int, wg *sync.WaitGroup) {
	wg.Done()
	<-ch
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: goparked NGOROUTINES NENTRIES")
		os.Exit(2)
	}
	n, err1 := strconv.Atoi(os.Args[1])
	m, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || n < 0 || m < 0 {
		fmt.Fprintln(os.Stderr, "goparked: counts must be whole numbers")
		os.Exit(2)
	}
	bigmap = make(map[int64]int64)
	for i := 0; i < m; i++ {
		bigmap[int64(i)] = int64(i)
	}
	ch := make(chan int)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go parked(ch, &wg)
	}
	wg.Wait()
	fmt.Println("ready")
	time.Sleep(time.Hour)
	close(ch)
}
