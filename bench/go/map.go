// map.go: map workloads of issue 4, the Go 1.19 reference.
//
// Definitions and keys: ../shared/WORKLOADS.md ("Keys", "Map workloads",
// "Go 2013 mapspeed seed benchmarks").  Keys are computed inline in the
// int64 loops (one multiply), string keys are 16-byte substrings of one
// string built before timing, exactly as bench/c/gort_map.c and
// bench/c/glib_map.c do, so the columns compare.
//
// map_insert_int64 also reports bytes per entry: VmRSS grown over the
// timed region divided by N (no GC in between, so it counts what the
// insert left resident, garbage of growth included).
package main

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"
)

const mult = 0x9E3779B97F4A7C15

var nKeys = scaled(1000000)

func hit(i int) int64  { return int64((uint64(i) + 1) * mult) }
func miss(i int) int64 { return int64((uint64(i) + 1 + uint64(nKeys)) * mult) }

func init() {
	register("map_insert_int64", "-", func() { mapInsertInt64(false) })
	register("map_insert_int64_gcoff", "-", func() { mapInsertInt64(true) })
	register("map_lookup_hit_int64", "-", mapLookupHitInt64)
	register("map_lookup_miss_int64", "-", mapLookupMissInt64)
	register("map_delete_int64", "-", mapDeleteInt64)
	register("map_iterate_int64", "-", mapIterateInt64)
	register("map_insert_str", "-", func() { mapInsertStr(false) })
	register("map_insert_str_gcoff", "-", func() { mapInsertStr(true) })
	register("map_lookup_str", "-", mapLookupStr)
	register("SmallStrMap", "-", smallStrMap)
	register("IntMap", "-", intMap)
	register("MegMap", "-", megMap)
	register("MegOneMap", "-", megOneMap)
	register("MegEqMap", "-", megEqMap)
	register("MegEmptyMap", "-", megEmptyMap)
}

func buildInt64() map[int64]int64 {
	m := make(map[int64]int64)
	for i := 0; i < nKeys; i++ {
		m[hit(i)] = int64(i)
	}
	return m
}

func mapInsertInt64(gcoff bool) {
	n := nKeys
	settle()
	if gcoff {
		debug.SetGCPercent(-1)
	}
	rss0 := rss()
	t0 := time.Now()
	m := make(map[int64]int64)
	for i := 0; i < n; i++ {
		m[hit(i)] = int64(i)
	}
	d := time.Since(t0)
	rss1 := rss()
	if len(m) != n {
		fail("len %d, want %d", len(m), n)
	}
	name := "map_insert_int64"
	if gcoff {
		name += "_gcoff"
	}
	emit(name, nsPer(d, n), "ns/op")
	if !gcoff {
		emit("map_int64_bytes_per_entry", float64(rss1-rss0)/float64(n), "bytes")
	}
}

func mapLookupHitInt64() {
	n := nKeys
	m := buildInt64()
	settle()
	hits, sum := 0, int64(0)
	t0 := time.Now()
	for p := 0; p < 10; p++ {
		for i := 0; i < n; i++ {
			v, ok := m[hit(i)]
			if ok {
				hits++
				sum += v
			}
		}
	}
	d := time.Since(t0)
	if want := 10 * int64(n) * int64(n-1) / 2; hits != 10*n || sum != want {
		fail("hits %d sum %d, want %d and %d", hits, sum, 10*n, want)
	}
	emit("map_lookup_hit_int64", nsPer(d, 10*n), "ns/op")
}

func mapLookupMissInt64() {
	n := nKeys
	m := buildInt64()
	settle()
	hits := 0
	t0 := time.Now()
	for p := 0; p < 10; p++ {
		for i := 0; i < n; i++ {
			_, ok := m[miss(i)]
			if ok {
				hits++
			}
		}
	}
	d := time.Since(t0)
	if hits != 0 {
		fail("hits %d, want 0", hits)
	}
	emit("map_lookup_miss_int64", nsPer(d, 10*n), "ns/op")
}

func mapDeleteInt64() {
	n := nKeys
	m := buildInt64()
	settle()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		delete(m, hit(i))
	}
	d := time.Since(t0)
	if len(m) != 0 {
		fail("len %d, want 0", len(m))
	}
	emit("map_delete_int64", nsPer(d, n), "ns/op")
}

func mapIterateInt64() {
	n := nKeys
	m := buildInt64()
	want := int64(0)
	for i := 0; i < n; i++ {
		want += hit(i) ^ int64(i)
	}
	want *= 10
	settle()
	sum, cnt := int64(0), 0
	t0 := time.Now()
	for p := 0; p < 10; p++ {
		for k, v := range m {
			sum += k ^ v
			cnt++
		}
	}
	d := time.Since(t0)
	if cnt != 10*n || sum != want {
		fail("n %d sum %d, want %d and %d", cnt, sum, 10*n, want)
	}
	emit("map_iterate_int64", nsPer(d, 10*n), "ns/elem")
}

// strKeys returns the N keys "key%013d" as 16-byte substrings of one string.
func strKeys() []string {
	var b strings.Builder
	b.Grow(16 * nKeys)
	for i := 0; i < nKeys; i++ {
		fmt.Fprintf(&b, "key%013d", i)
	}
	all := b.String()
	keys := make([]string, nKeys)
	for i := range keys {
		keys[i] = all[16*i : 16*i+16]
	}
	return keys
}

func mapInsertStr(gcoff bool) {
	n := nKeys
	keys := strKeys()
	settle()
	if gcoff {
		debug.SetGCPercent(-1)
	}
	t0 := time.Now()
	m := make(map[string]int64)
	for i := 0; i < n; i++ {
		m[keys[i]] = int64(i)
	}
	d := time.Since(t0)
	if len(m) != n {
		fail("len %d, want %d", len(m), n)
	}
	name := "map_insert_str"
	if gcoff {
		name += "_gcoff"
	}
	emit(name, nsPer(d, n), "ns/op")
}

func mapLookupStr() {
	n := nKeys
	keys := strKeys()
	m := make(map[string]int64)
	for i := 0; i < n; i++ {
		m[keys[i]] = int64(i)
	}
	settle()
	hits, sum := 0, int64(0)
	t0 := time.Now()
	for p := 0; p < 10; p++ {
		for i := 0; i < n; i++ {
			v, ok := m[keys[i]]
			if ok {
				hits++
				sum += v
			}
		}
	}
	d := time.Since(t0)
	if want := 10 * int64(n) * int64(n-1) / 2; hits != 10*n || sum != want {
		fail("hits %d sum %d, want %d and %d", hits, sum, 10*n, want)
	}
	emit("map_lookup_str", nsPer(d, 10*n), "ns/op")
}

// The mapspeed rows: setup as in Go's runtime/map_benchmark_test.go, the
// loop body `_, ok = m[key]; if ok { hits++ }`.

func lookupStrBool(name string, m map[string]bool, key string, ops, wantHits int) {
	settle()
	hits := 0
	t0 := time.Now()
	for i := 0; i < ops; i++ {
		_, ok := m[key]
		if ok {
			hits++
		}
	}
	d := time.Since(t0)
	if hits != wantHits {
		fail("hits %d, want %d", hits, wantHits)
	}
	emit(name, nsPer(d, ops), "ns/op")
}

func smallStrMap() {
	m := make(map[string]bool)
	for r := 'A'; r <= 'G'; r++ {
		m[fmt.Sprint(r)] = true
	}
	lookupStrBool("SmallStrMap", m, "k", scaled(100000000), 0)
}

func intMap() {
	ops := scaled(100000000)
	m := make(map[int]bool)
	for i := 0; i < 8; i++ {
		m[i] = true
	}
	settle()
	hits := 0
	t0 := time.Now()
	for i := 0; i < ops; i++ {
		_, ok := m[7]
		if ok {
			hits++
		}
	}
	d := time.Since(t0)
	if hits != ops {
		fail("hits %d, want %d", hits, ops)
	}
	emit("IntMap", nsPer(d, ops), "ns/op")
}

func megMap() {
	m := make(map[string]bool)
	for suffix := 'A'; suffix <= 'G'; suffix++ {
		m[strings.Repeat("X", 1<<20-1)+fmt.Sprint(suffix)] = true
	}
	key := strings.Repeat("X", 1<<20-1) + "k"
	lookupStrBool("MegMap", m, key, scaled(100000000), 0)
}

func megOneMap() {
	m := make(map[string]bool)
	m[strings.Repeat("X", 1<<20)] = true
	key := strings.Repeat("Y", 1<<20)
	lookupStrBool("MegOneMap", m, key, scaled(100000000), 0)
}

func megEqMap() {
	key1 := strings.Repeat("X", 1<<20)
	key2 := strings.Repeat("X", 1<<20) // equal bytes, a different object
	m := make(map[string]bool)
	m[key1] = true
	ops := scaled(20000)
	lookupStrBool("MegEqMap", m, key2, ops, ops)
}

func megEmptyMap() {
	m := make(map[string]bool)
	key := strings.Repeat("X", 1<<20)
	lookupStrBool("MegEmptyMap", m, key, scaled(100000000), 0)
}
