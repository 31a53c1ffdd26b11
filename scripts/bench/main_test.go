package main

import (
	"os"
	"path/filepath"
	"testing"
)

// A round trip is a request line of the jsii debug log, the first line
// included; responses and other lines are not counted.
func TestCountRoundTrips(t *testing.T) {
	for log, want := range map[string]int{"> a\n< a\n> b\n< b\n": 2, "x > y\n> a\n": 1, "": 0} {
		path := filepath.Join(t.TempDir(), "debug.log")
		if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := countRoundTrips(path); got != want {
			t.Errorf("countRoundTrips(%q) = %d, want %d", log, got, want)
		}
	}
}
