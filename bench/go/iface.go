// iface.go: interface and closure workloads of issue 5, the Go 1.19
// reference.  Definitions: ../shared/WORKLOADS.md ("Interfaces and
// closures"): 100,000,000 ops each over global arrays of two values of the
// same concrete type, element i&1, so every call site is monomorphic and
// the loop cannot be folded.  Every loop ends with s == 2*10^8 (checked,
// scaled with BENCH_SCALE).
package main

import "time"

type Adder interface{ Add(int64) int64 }

type T1 struct{ k int64 }

func (t *T1) Add(x int64) int64 { return x + t.k }

//go:noinline
func addDirect(t *T1, x int64) int64 { return x + t.k }

//go:noinline
func makeAdder(k int64) func(int64) int64 { return func(x int64) int64 { return x + k } }

var (
	objs     = [2]*T1{{1}, {3}}
	ifaces   = [2]Adder{objs[0], objs[1]}
	anys     = [2]interface{}{objs[0], objs[1]}
	held     [2]Adder
	closures = [2]func(int64) int64{makeAdder(1), makeAdder(3)}
)

func init() {
	register("iface_call", "-", ifaceCall)
	register("type_assert_concrete", "-", typeAssertConcrete)
	register("type_assert_iface", "-", typeAssertIface)
	register("closure_call", "-", closureCall)
	register("call_direct_noinline", "-", callDirect)
}

// report checks s and prints the row.  The sum over n ops of k = 1, 3
// alternating is 2n; type_assert_iface adds 1 per op, so it wants n.
func report(name string, d time.Duration, n int, s, want int64) {
	if s != want {
		fail("s %d, want %d", s, want)
	}
	emit(name, nsPer(d, n), "ns/op")
}

func ifaceCall() {
	n := scaled(100000000)
	s := int64(0)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		s = ifaces[i&1].Add(s)
	}
	report("iface_call", time.Since(t0), n, s, 2*int64(n))
}

func typeAssertConcrete() {
	n := scaled(100000000)
	s := int64(0)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		if t, ok := anys[i&1].(*T1); ok {
			s += t.k
		}
	}
	report("type_assert_concrete", time.Since(t0), n, s, 2*int64(n))
}

func typeAssertIface() {
	n := scaled(100000000)
	s := int64(0)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		if a, ok := anys[i&1].(Adder); ok {
			held[i&1] = a
			s++
		}
	}
	d := time.Since(t0)
	// This loop adds 1 per op (WORKLOADS.md's body is s++), so it ends
	// with n, not 2n; the held interfaces must be the two original values.
	if held[0].Add(0) != 1 || held[1].Add(0) != 3 {
		fail("held interfaces hold the wrong values")
	}
	report("type_assert_iface", d, n, s, int64(n))
}

func closureCall() {
	n := scaled(100000000)
	s := int64(0)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		s = closures[i&1](s)
	}
	report("closure_call", time.Since(t0), n, s, 2*int64(n))
}

func callDirect() {
	n := scaled(100000000)
	s := int64(0)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		s = addDirect(objs[i&1], s)
	}
	report("call_direct_noinline", time.Since(t0), n, s, 2*int64(n))
}
