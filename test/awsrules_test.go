package test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/brokerage/platform/awsrules"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/problems"
	"github.com/brokerage/platform/stacks"
	"github.com/google/go-cmp/cmp"
)

func asStacks(asm *cfn.Assembly, account string) []awsrules.Stack {
	var out []awsrules.Stack
	for _, name := range asm.Order {
		out = append(out, awsrules.Stack{Name: name, Account: account, Region: asm.Regions[name], Template: asm.Templates[name]})
	}
	return out
}

// The synthesized apps pass every AWS rule the assembly check applies.
func TestSynthesizedAppsPassAWSRules(t *testing.T) {
	for name, asm := range map[string]*cfn.Assembly{"dev": dev, "prod": prod, "five": five} {
		if err := awsrules.CheckStacks(asStacks(asm, cfg.Account)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The names the configuration check predicts (stacks.PhysicalNames) are
// the names the app creates: a construct that adds or renames a physical
// name must update the prediction, or collisions go unseen until deploy.
func TestPhysicalNamesMatchTheSynthesizedApp(t *testing.T) {
	kinds := map[string]bool{awsrules.KindQueue: true, awsrules.KindTopic: true, awsrules.KindAlarm: true, "AWS::CloudWatch::CompositeAlarm": true,
		awsrules.KindDashboard: true, awsrules.KindAlias: true, awsrules.KindUsagePlan: true}
	var got []string
	for _, s := range asStacks(dev, cfg.Account) {
		res, _ := s.Template["Resources"].(map[string]any)
		for _, r := range res {
			m := r.(map[string]any)
			typ, _ := m["Type"].(string)
			props, _ := m["Properties"].(map[string]any)
			if name, ok := props[awsrules.NameProperty[typ]].(string); ok && kinds[typ] {
				got = append(got, key(typ, s.Region, name))
			}
		}
	}
	var want []string
	for _, n := range stacks.PhysicalNames(cfg) {
		want = append(want, key(n.Kind, n.Region, n.Name))
	}
	sort.Strings(got)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("physical names (-predicted +synthesized):\n%s", diff)
	}
}

func key(kind, region, name string) string {
	if kind == "AWS::CloudWatch::CompositeAlarm" {
		kind = awsrules.KindAlarm
	}
	if kind == awsrules.KindDashboard {
		region = "" // dashboards are per account
	}
	return fmt.Sprintf("%s %s %s", kind, region, name)
}

// stacks.ResourcesPerConsumer is what one consumer adds to a regional stack.
func TestResourcesPerConsumer(t *testing.T) {
	tmpl := dev.Templates["brokerage-dev-eu-west-2-regional"]
	for _, c := range cfg.Fanout.Consumers {
		n := 0
		for _, r := range tmpl["Resources"].(map[string]any) {
			md, _ := r.(map[string]any)["Metadata"].(map[string]any)
			if p, _ := md["aws:cdk:path"].(string); strings.Contains(p, "/Fanout/"+c.Name+"/") {
				n++
			}
		}
		if n != stacks.ResourcesPerConsumer {
			t.Errorf("consumer %s: %d resources, want stacks.ResourcesPerConsumer = %d", c.Name, n, stacks.ResourcesPerConsumer)
		}
	}
}

// With us-east-1 as the primary region, the edge and ingest stacks share
// it: exactly one of them creates the account concurrency alarm.
func TestOneAccountConcurrencyAlarmInUSEast1(t *testing.T) {
	c := config.Default()
	c.Site.ContentDir = "../site"
	// The region's block moves with it: its pool's ARN names its region.
	r := c.Regions[0]
	r.Name, r.Market = "us-east-1", "United States"
	for name, pool := range r.UserPools {
		r.UserPools[name] = strings.ReplaceAll(pool, "ap-southeast-2", "us-east-1")
	}
	c.Regions[0] = r
	c.PrimaryRegion = "us-east-1"
	if err := stacks.Validate(c, cfntest.Now); err != nil {
		t.Fatal(err)
	}
	for _, n := range stacks.PhysicalNames(c) {
		if strings.HasSuffix(n.Name, "-account-ClaimedAccountConcurrency") && n.Region == "us-east-1" && !strings.Contains(n.Owner, "edge") {
			t.Errorf("%s also creates %s in us-east-1", n.Owner, n.Name)
		}
	}
}

// A VPC link a region does not list is reported once, on the region's
// entry, not again by the construct that would get an empty id there.
func TestAMissingVPCLinkIsReportedOnce(t *testing.T) {
	c := config.Default()
	c.Site.ContentDir = "../site"
	var want []string
	for name := range c.Regions[0].VPCLinks {
		delete(c.Regions[0].VPCLinks, name)
		want = append(want, fmt.Sprintf("regions[0].vpcLinks[%q]", name))
	}
	if len(want) == 0 {
		t.Fatal("the default configuration has no VPC link")
	}
	var perr *problems.Error
	if err := stacks.Validate(c, cfntest.Now); !errors.As(err, &perr) {
		t.Fatalf("Validate() = %v, want the missing VPC links", err)
	}
	if diff := cmp.Diff(want, perr.Fields()); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
