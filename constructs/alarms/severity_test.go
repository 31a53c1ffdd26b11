package alarms_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
)

// A composite alarm pages: on a construct without page recipients it is
// refused when it is built, like any alarm of a severity nobody receives,
// rather than created with no action.
func TestCompositeAlarmNeedsAPageTopic(t *testing.T) {
	dir := t.TempDir()
	app := cfn.NewApp(dir)
	stack := cfntest.StackIn(app, "uk", "eu-west-2")
	al := alarms.New(stack, "Alarms", &alarms.Props{Prefix: "brokerage-dev", Recipients: map[alarms.Severity]alarms.Recipients{
		alarms.SeverityNotify: {Emails: []string{"trading-ops@example.com"}},
	}})
	got := func() (msg string) {
		defer func() { msg = fmt.Sprint(recover()) }()
		al.NewCompositeAlarm(stack, "NotReaching", "not-reaching", "executions do not arrive", nil)
		return "no panic"
	}()
	if !strings.Contains(got, `composite alarm not-reaching has severity "page"`) {
		t.Errorf("NewCompositeAlarm on a notify-only construct: got %q, want a refusal naming the composite alarm and its severity", got)
	}
}

// AlarmOn finds the alarm a Watch created by its metric identity, and
// refuses a metric nothing alarms on rather than return no alarm.
func TestAlarmOnFindsTheAlarmByItsMetric(t *testing.T) {
	app := cfn.NewApp(t.TempDir())
	stack := cfntest.StackIn(app, "uk", "eu-west-2")
	al := alarms.New(stack, "Alarms", &alarms.Props{Prefix: "brokerage-dev", Recipients: map[alarms.Severity]alarms.Recipients{
		alarms.SeverityNotify: {Emails: []string{"trading-ops@example.com"}},
		alarms.SeverityPage:   {Emails: []string{"on-call@example.com"}},
	}})
	topic := alarms.TopicMetrics("brokerage-dev-executions.fifo")
	al.Watch(stack, alarms.Target{Kind: alarms.KindFanoutTopic, Label: "fanout-topic", Metrics: topic})
	got := al.AlarmOn(alarms.KindFanoutTopic.Metric(topic, "NumberOfNotificationsFailedToRedriveToDlq"))
	if id := *got.Node().Id(); id != "AlarmNumberOfNotificationsFailedToRedriveToDlq" {
		t.Errorf("AlarmOn returned %s, want the alarm on NumberOfNotificationsFailedToRedriveToDlq", id)
	}
	other := alarms.TopicMetrics("another-topic")
	msg := func() (msg string) {
		defer func() { msg = fmt.Sprint(recover()) }()
		al.AlarmOn(alarms.KindFanoutTopic.Metric(other, "NumberOfNotificationsFailedToRedriveToDlq"))
		return "no panic"
	}()
	if !strings.Contains(msg, "no alarm on AWS/SNS NumberOfNotificationsFailedToRedriveToDlq") {
		t.Errorf("AlarmOn for an unwatched topic: got %q, want a refusal naming the metric", msg)
	}
}

// The catalogue's texts become every alarm's description wherever a
// construct is used: they speak of messages, groups and senders, not of the
// platform's trades. Only the consumer runtime's kind speaks of accounts
// and executions, which are its own data model (package lambda/consumer).
func TestCatalogueTextsNameNoDomain(t *testing.T) {
	domain := regexp.MustCompile(`(?i)\b(trades?|trading|brokers?|brokerage|executions?|holdings|buying power)\b`)
	specs := map[string]alarms.Spec{"account/" + alarms.AccountConcurrency.Metric: alarms.AccountConcurrency}
	for _, k := range alarms.Kinds() {
		if k == alarms.KindConsumer {
			continue
		}
		for _, s := range alarms.Catalogue[k].Alarms {
			specs[alarms.OverrideKey(k, s.Metric)] = s
		}
	}
	for key, s := range specs {
		for _, text := range []string{s.Meaning, s.FirstCheck, s.Beyond} {
			if w := domain.FindString(text); w != "" {
				t.Errorf("%s says %q: %q", key, w, text)
			}
		}
	}
}
