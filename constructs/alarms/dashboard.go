package alarms

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Widget is one CloudWatch dashboard widget, in the dashboard body's JSON
// shape. Building the body in Go costs one jsii call per dashboard instead
// of several per widget.
type Widget map[string]any

// MetricLine is one line of a graph: a metric, labelled, in a region.
type MetricLine struct {
	Metric
	Label  string
	Region string // default: the dashboard's region
}

// Line is m drawn as a graph line labelled label, in the dashboard's region.
func (m Metric) Line(label string) MetricLine { return MetricLine{Metric: m, Label: label} }

// In is l read in region, for a metric of another region than the dashboard's.
func (l MetricLine) In(region string) MetricLine {
	l.Region = region
	return l
}

// graphPeriodSeconds is the period of every graph; a line of another
// period says so.
const graphPeriodSeconds = 60

// Graph is a time-series widget of one-minute lines.
func Graph(title string, lines ...MetricLine) Widget {
	metrics := make([]any, 0, len(lines))
	for _, l := range lines {
		m := []any{l.Namespace, l.Name}
		for _, d := range l.Dimensions {
			m = append(m, d)
		}
		opts := map[string]any{"stat": l.Statistic, "label": l.Label}
		if l.Region != "" {
			opts["region"] = l.Region
		}
		if l.PeriodSeconds != 0 && l.PeriodSeconds != graphPeriodSeconds {
			opts["period"] = l.PeriodSeconds
		}
		metrics = append(metrics, append(m, opts))
	}
	return Widget{"type": "metric", "properties": map[string]any{"title": title, "view": "timeSeries", "period": graphPeriodSeconds, "metrics": metrics}}
}

// MaxAlarmsPerWidget is how many alarms an alarm status widget shows: "The
// array can have 1-100 alarm ARNs"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
const MaxAlarmsPerWidget = 100

// AlarmStatus is the widgets showing the state of the alarms this construct
// created: one, or one per 100 alarms, titled "title (2 of 3)".
func (a *Alarms) AlarmStatus(title string) []Widget {
	var out []Widget
	n := (len(a.AlarmARNs) + MaxAlarmsPerWidget - 1) / MaxAlarmsPerWidget
	for i := 0; i < len(a.AlarmARNs); i += MaxAlarmsPerWidget {
		part := a.AlarmARNs[i:min(i+MaxAlarmsPerWidget, len(a.AlarmARNs))]
		arns := make([]any, len(part))
		for j, arn := range part {
			arns[j] = arn
		}
		t := title
		if n > 1 {
			t = fmt.Sprintf("%s (%d of %d)", title, i/MaxAlarmsPerWidget+1, n)
		}
		out = append(out, Widget{"type": "alarm", "properties": map[string]any{"title": t, "alarms": arns}})
	}
	return out
}

// NewDashboard creates a dashboard named name with the widgets laid out two
// per row.
func NewDashboard(scope constructs.Construct, id, name string, widgets []Widget) awscloudwatch.CfnDashboard {
	stack := awscdk.Stack_Of(scope)
	region := *stack.Region()
	placed := make([]any, len(widgets))
	for i, w := range widgets {
		p := Widget{}
		for k, v := range w {
			p[k] = v
		}
		props := map[string]any{"region": region}
		for k, v := range w["properties"].(map[string]any) {
			props[k] = v
		}
		p["properties"] = props
		p["x"], p["y"], p["width"], p["height"] = (i%2)*12, (i/2)*6, 12, 6
		placed[i] = p
	}
	return awscloudwatch.NewCfnDashboard(scope, jsii.String(id), &awscloudwatch.CfnDashboardProps{
		DashboardName: jsii.String(name),
		DashboardBody: stack.ToJsonString(map[string]any{"widgets": placed}, nil),
	})
}

// NewCompositeAlarm raises one alarm when any of the given alarms is in
// ALARM; it pages (executions not reaching a region).
func (a *Alarms) NewCompositeAlarm(scope constructs.Construct, id, name, description string, of []awscloudwatch.CfnAlarm) awscloudwatch.CfnCompositeAlarm {
	page := a.topicFor(SeverityPage, "composite alarm "+name)
	rule := ""
	for i, al := range of {
		if i > 0 {
			rule += " OR "
		}
		rule += "ALARM(\"" + a.nameOf(al) + "\")"
	}
	c := awscloudwatch.NewCfnCompositeAlarm(scope, jsii.String(id), &awscloudwatch.CfnCompositeAlarmProps{
		AlarmName:        jsii.String(AlarmName(a.props.Prefix, name)),
		AlarmDescription: jsii.String(description),
		AlarmRule:        jsii.String(rule),
		AlarmActions:     &[]any{page},
		OkActions:        &[]any{page},
	})
	deps := make([]constructs.IDependable, len(of))
	for i, al := range of {
		deps[i] = al
	}
	c.Node().AddDependency(deps...)
	return c
}
