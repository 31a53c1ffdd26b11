package alarms

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Every widget of the platform's dashboards is half a row wide, so that
// they sit two per row.
var widgetWidth, widgetHeight = jsii.Number(12), jsii.Number(6)

// Line is m drawn as a graph line labelled label, in the dashboard's region.
func (m Metric) Line(label string) awscloudwatch.IMetric { return m.LineIn(label, "") }

// LineIn is m drawn as a graph line labelled label, read in region (the
// dashboard's when "").
func (m Metric) LineIn(label, region string) awscloudwatch.IMetric {
	o := &awscloudwatch.MetricOptions{Label: jsii.String(label)}
	if region != "" {
		o.Region = jsii.String(region)
	}
	return m.CDK().With(o)
}

// Graph is a time-series widget of lines, each drawn at its metric's
// period. (No widget period: a line of 300 s, CloudWatch's default, is
// written without one and would take the widget's.)
func Graph(title string, lines ...awscloudwatch.IMetric) awscloudwatch.GraphWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(title), Left: &lines, Width: widgetWidth, Height: widgetHeight,
	})
}

// MaxAlarmsPerWidget is how many alarms an alarm status widget shows: "The
// array can have 1-100 alarm ARNs"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
const MaxAlarmsPerWidget = 100

// Status is the widgets showing the state of alarms: one, or one per 100
// alarms, titled "title (2 of 3)".
func Status(title string, alarms []interfacesawscloudwatch.IAlarmRef) []awscloudwatch.IWidget {
	var out []awscloudwatch.IWidget
	n := (len(alarms) + MaxAlarmsPerWidget - 1) / MaxAlarmsPerWidget
	for part := range slices.Chunk(alarms, MaxAlarmsPerWidget) {
		t := title
		if n > 1 {
			t = fmt.Sprintf("%s (%d of %d)", title, len(out)+1, n)
		}
		out = append(out, awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
			Title: jsii.String(t), Alarms: &part, Width: widgetWidth, Height: widgetHeight,
		}))
	}
	return out
}

// AlarmStatus is the widgets showing the state of the alarms this construct
// created (Status).
func (a *Alarms) AlarmStatus(title string) []awscloudwatch.IWidget {
	all := make([]interfacesawscloudwatch.IAlarmRef, len(a.Created))
	for i, al := range a.Created {
		all[i] = al
	}
	return Status(title, all)
}

// AddWidgets puts widgets on the dashboard of this construct's alarms
// (Dashboard), after their state: a construct that registers its resources
// adds its own lines.
func (a *Alarms) AddWidgets(ws ...awscloudwatch.IWidget) {
	a.widgets = append(a.widgets, ws...)
}

// Dashboard creates, at scope/id, the dashboard named name of everything
// this construct watches: the state of every alarm it created (titled title), the
// sessions its idle alarms watch, and the widgets the watched constructs
// added (AddWidgets), in the order they were added, two per row.
func (a *Alarms) Dashboard(scope constructs.Construct, id, name, title string) awscloudwatch.Dashboard {
	widgets := a.AlarmStatus(title)
	if len(a.props.Sessions) > 0 {
		widgets = append(widgets, sessionsText(a.props.Sessions))
	}
	widgets = append(widgets, a.widgets...)
	return inPlace(scope, id, func(scope constructs.Construct, id *string) awscloudwatch.Dashboard {
		return awscloudwatch.NewDashboard(scope, id, &awscloudwatch.DashboardProps{
			DashboardName: jsii.String(name),
			Widgets:       &[]*[]awscloudwatch.IWidget{&widgets},
		})
	})
}

// sessionsText lists the sessions the idle alarms watch: their windows in
// the market's time zone, the watched ones marked, and the holidays.
func sessionsText(ss []Session) awscloudwatch.TextWidget {
	var b strings.Builder
	b.WriteString("## Trading sessions\n\nIdle (\"nothing arrived\") alarms page only in the **watched** windows, on trading days, outside holidays. Times are the market's local time.\n\n| Session | Time zone | Days | Windows | Holidays |\n|---|---|---|---|---|\n")
	for _, s := range ss {
		windows := make([]string, len(s.Windows))
		for i, w := range s.Windows {
			windows[i] = fmt.Sprintf("%s %02d:%02d-%02d:%02d", w.Name, w.Start/60, w.Start%60, w.End/60, w.End%60)
			if w.Watch {
				windows[i] = "**" + windows[i] + " (watched)**"
			}
		}
		holidays := "none"
		if n := len(s.Holidays); n > 0 {
			holidays = fmt.Sprintf("%d listed, %s to %s", n, s.Holidays[0], s.Holidays[n-1])
		}
		fmt.Fprintf(&b, "| %s (%s) | %s | %s | %s | %s |\n", s.Name, s.Market, s.TimeZone, strings.Join(s.Days, " "), strings.Join(windows, ", "), holidays)
	}
	return awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{Markdown: jsii.String(b.String()), Width: widgetWidth, Height: widgetHeight})
}

// NewCompositeAlarm raises one alarm when any of the given alarms is in
// ALARM; it pages (executions not reaching a region).
func (a *Alarms) NewCompositeAlarm(scope constructs.Construct, id, name, description string, of []awscloudwatch.Alarm) awscloudwatch.CompositeAlarm {
	page := a.notify(SeverityPage, "composite alarm "+name)
	rules := make([]awscloudwatch.IAlarmRule, len(of))
	for i, al := range of {
		rules[i] = awscloudwatch.AlarmRule_FromAlarm(al, awscloudwatch.AlarmState_ALARM)
	}
	c := inPlace(scope, id, func(scope constructs.Construct, id *string) awscloudwatch.CompositeAlarm {
		return awscloudwatch.NewCompositeAlarm(scope, id, &awscloudwatch.CompositeAlarmProps{
			CompositeAlarmName: jsii.String(AlarmName(a.props.Prefix, name)),
			AlarmDescription:   jsii.String(description),
			AlarmRule:          awscloudwatch.AlarmRule_AnyOf(rules...),
		})
	})
	c.AddAlarmAction(page)
	c.AddOkAction(page)
	return c
}
