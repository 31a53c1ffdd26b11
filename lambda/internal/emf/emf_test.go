package emf

import (
	"testing"
	"time"
)

// The line is one JSON object: each metric's value under its name, and the
// directive that makes CloudWatch read them as metrics of the namespace,
// by FunctionName, in the order given.
func TestLine(t *testing.T) {
	at := time.UnixMilli(1_800_000_000_123)
	got, err := Line("Brokerage/Fanout", "fn", at, Metric{"Published", 3, "Count"}, Metric{"HeldSeconds", 1.5, "Seconds"})
	want := `{"FunctionName":"fn","HeldSeconds":1.5,"Published":3,"_aws":{"CloudWatchMetrics":[{"Dimensions":[["FunctionName"]],"Metrics":[{"Name":"Published","Unit":"Count"},{"Name":"HeldSeconds","Unit":"Seconds"}],"Namespace":"Brokerage/Fanout"}],"Timestamp":1800000000123}}` + "\n"
	if err != nil || string(got) != want {
		t.Errorf("Line = %s (%v)\nwant %s", got, err, want)
	}
}
