package main

import (
	"fmt"
	"os"
	"sync"
)

// failer is the smallest test.Failer Istio's in-process discovery server (pilot/test/xds) accepts outside
// `go test`: a fatal failure is printed to stderr and ends the process with exit code 1 (the oracle's
// "fatal" contract), logs go to stderr only with --verbose, and cleanups are kept but never run (the
// process exits once the answer is printed).
type failer struct {
	mu       sync.Mutex
	verbose  bool
	failed   bool
	cleanups []func()
	tempDir  string
}

func (f *failer) Fail() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
}

func (f *failer) FailNow() { fatalf("Istio's test server failed") }

func (f *failer) Fatal(args ...any) { fatalf("Istio's test server failed: %s", fmt.Sprint(args...)) }

func (f *failer) Fatalf(format string, args ...any) {
	fatalf("Istio's test server failed: %s", fmt.Sprintf(format, args...))
}

func (f *failer) Log(args ...any) {
	if f.verbose {
		fmt.Fprintln(os.Stderr, args...)
	}
}

func (f *failer) Logf(format string, args ...any) {
	if f.verbose {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	}
}

func (f *failer) TempDir() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tempDir == "" {
		dir, err := os.MkdirTemp("", "istio-oracle-")
		if err != nil {
			fatalf("cannot make a temporary folder: %v", err)
		}
		f.tempDir = dir
	}
	return f.tempDir
}

func (f *failer) Helper() {}

func (f *failer) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

func (f *failer) Skip(args ...any) { fatalf("Istio's test server skipped: %s", fmt.Sprint(args...)) }

// removeTemp deletes the temporary folder, if one was made.
func (f *failer) removeTemp() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tempDir != "" {
		_ = os.RemoveAll(f.tempDir)
	}
}

// fatalf prints "istio-oracle: <message>" to stderr and exits with code 1.
func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "istio-oracle: "+format+"\n", args...)
	os.Exit(1)
}
