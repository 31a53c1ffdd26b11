// Package emf writes CloudWatch embedded metric format: a JSON log line of
// a Lambda function that CloudWatch Logs turns into metrics, here with the
// one dimension FunctionName
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
package emf

import (
	"encoding/json"
	"time"
)

// Metric is one value of a line, in unit (Count, Seconds...).
type Metric struct {
	Name  string
	Value float64
	Unit  string
}

// Line is the log line, with its newline, that records metrics in
// namespace for the function at the instant at.
func Line(namespace, function string, at time.Time, metrics ...Metric) ([]byte, error) {
	line := map[string]any{"FunctionName": function}
	defs := make([]map[string]string, 0, len(metrics))
	for _, m := range metrics {
		defs = append(defs, map[string]string{"Name": m.Name, "Unit": m.Unit})
		line[m.Name] = m.Value
	}
	line["_aws"] = map[string]any{"Timestamp": at.UnixMilli(), "CloudWatchMetrics": []any{map[string]any{
		"Namespace": namespace, "Dimensions": [][]string{{"FunctionName"}}, "Metrics": defs}}}
	b, err := json.Marshal(line)
	return append(b, '\n'), err
}
