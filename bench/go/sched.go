// sched.go: goroutine and channel workloads of issues 2 and 3, the Go 1.19
// reference.  Definitions: ../shared/WORKLOADS.md ("Channels and
// goroutines"); bench/c/gort_sched.c is the same code against libgort,
// line for line, so the two columns of the table compare like with like.
package main

import (
	"runtime"
	"sync"
	"time"
)

func init() {
	register("go_spawn_join", "1,2", goSpawnJoin)
	register("yield_pingpong", "1,2", yieldPingpong)
	register("goroutines_parked_100k", "-", goroutinesParked)
	register("chan_pingpong_unbuffered", "1,2", chanPingpong)
	register("chan_buffered_throughput", "-", chanBuffered)
	register("select_2chan", "-", select2chan)
	register("mutex_contended", "1,2", mutexContended)
}

func goSpawnJoin() {
	n := scaled(1000000)
	var wg sync.WaitGroup
	var finished int64
	var mu sync.Mutex
	wg.Add(n)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		go func() { wg.Done() }()
	}
	wg.Wait()
	d := time.Since(t0)
	// The check is the Wait itself returning; count once more, untimed,
	// that n goroutines really ran to completion.
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() { mu.Lock(); finished++; mu.Unlock(); wg.Done() }()
	}
	wg.Wait()
	if finished != int64(n) {
		fail("finished %d, want %d", finished, n)
	}
	emit("go_spawn_join", nsPer(d, n), "ns/goroutine")
}

func yieldPingpong() {
	n := scaled(1000000)
	var wg sync.WaitGroup
	var counts [2]int
	wg.Add(2)
	t0 := time.Now()
	for k := 0; k < 2; k++ {
		go func(k int) {
			for i := 0; i < n; i++ {
				runtime.Gosched()
				counts[k]++
			}
			wg.Done()
		}(k)
	}
	wg.Wait()
	d := time.Since(t0)
	if counts[0] != n || counts[1] != n {
		fail("counts %v, want %d each", counts, n)
	}
	emit("yield_pingpong", nsPer(d, 2*n), "ns/yield")
}

func goroutinesParked() {
	n := scaled(100000)
	ch := make(chan int)
	var started, done sync.WaitGroup
	started.Add(n)
	done.Add(n)
	runtime.GC()
	rss0 := rss()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		go func() { started.Done(); <-ch; done.Done() }()
	}
	started.Wait()
	d1 := time.Since(t0)
	runtime.Gosched()
	rss1 := rss()
	if g := runtime.NumGoroutine(); g < n+1 {
		fail("%d goroutines alive, want at least %d", g, n+1)
	}
	t1 := time.Now()
	close(ch)
	done.Wait()
	d2 := time.Since(t1)
	emit("goroutines_parked_100k_create", nsPer(d1, n), "ns/goroutine")
	emit("goroutines_parked_100k_release", nsPer(d2, n), "ns/goroutine")
	emit("goroutines_parked_100k_rss_per_g", float64(rss1-rss0)/float64(n), "bytes")
	emit("goroutines_parked_100k_rss_total", float64(rss1)/(1<<20), "MiB")
}

func chanPingpong() {
	n := scaled(1000000)
	c1 := make(chan int)
	c2 := make(chan int)
	go func() {
		for v := range c1 {
			c2 <- v + 1
		}
	}()
	sum := 0
	t0 := time.Now()
	for i := 0; i < n; i++ {
		c1 <- i
		sum += <-c2
	}
	d := time.Since(t0)
	close(c1)
	if want := n*(n-1)/2 + n; sum != want {
		fail("sum %d, want %d", sum, want)
	}
	emit("chan_pingpong_unbuffered", nsPer(d, n), "ns/roundtrip")
}

func chanBuffered() {
	n := scaled(10000000)
	c := make(chan int, 128)
	sum := 0
	t0 := time.Now()
	go func() {
		for i := 0; i < n; i++ {
			c <- i
		}
		close(c)
	}()
	for v := range c {
		sum += v
	}
	d := time.Since(t0)
	if want := n * (n - 1) / 2; sum != want {
		fail("sum %d, want %d", sum, want)
	}
	emit("chan_buffered_throughput", nsPer(d, n), "ns/item")
}

func select2chan() {
	half := scaled(500000)
	c1 := make(chan int)
	c2 := make(chan int)
	producer := func(c chan int) {
		for i := 0; i < half; i++ {
			c <- i
		}
	}
	s1, s2 := 0, 0
	t0 := time.Now()
	go producer(c1)
	go producer(c2)
	for i := 0; i < 2*half; i++ {
		select {
		case v := <-c1:
			s1 += v
		case v := <-c2:
			s2 += v
		}
	}
	d := time.Since(t0)
	if want := half * (half - 1) / 2; s1 != want || s2 != want {
		fail("s1 %d s2 %d, want %d each", s1, s2, want)
	}
	emit("select_2chan", nsPer(d, 2*half), "ns/recv")
}

func mutexContended() {
	n := scaled(1000000)
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	start := make(chan struct{})
	wg.Add(2)
	for k := 0; k < 2; k++ {
		go func() {
			<-start
			for i := 0; i < n; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	d := time.Since(t0)
	if counter != 2*n {
		fail("counter %d, want %d", counter, 2*n)
	}
	emit("mutex_contended", nsPer(d, 2*n), "ns/lock+unlock")
}
