package test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/awsrules"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/problems"
	"github.com/brokerage/platform/stacks"
	"github.com/google/go-cmp/cmp"
)

// The synthesized apps pass every AWS rule the assembly check applies.
func TestSynthesizedAppsPassAWSRules(t *testing.T) {
	for name, asm := range map[string]*cfn.Assembly{"dev": dev, "prod": prod, "five": five} {
		if err := awsrules.CheckStacks(asm.Stacks); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// With us-east-1 as the primary region, the edge and ingest stacks share
// it: exactly one of them creates the account concurrency alarm.
func TestOneAccountConcurrencyAlarmInUSEast1(t *testing.T) {
	c := config.Default()
	c.Site.ContentDir = "../web"
	// The primary region's block moves with it: its pool's ARN names its region.
	i := slices.IndexFunc(c.Regions, func(r config.Region) bool { return r.Name == c.PrimaryRegion })
	r := c.Regions[i]
	for name, pool := range r.UserPools {
		r.UserPools[name] = strings.ReplaceAll(pool, r.Name, "us-east-1")
	}
	r.Name, r.Market = "us-east-1", "United States"
	c.Regions[i] = r
	c.PrimaryRegion = "us-east-1"
	if err := stacks.Validate(c, cfntest.Now); err != nil {
		t.Fatal(err)
	}
	app := cfn.NewApp(t.TempDir())
	dir := cfntest.StandInCode(t.TempDir())
	stacks.NewPlatform(app, &stacks.PlatformProps{Config: c, Now: cfntest.Now, RedistributorCode: awslambda.Code_FromAsset(jsii.String(dir), nil), ConsumerCode: cfntest.StandIn(dir)})
	asm := cfn.Synth(app)
	var in []string
	for _, s := range asm.Stacks {
		for _, r := range s.Template.Resources("AWS::CloudWatch::Alarm") {
			if n, _ := r.Props["AlarmName"].(string); strings.HasSuffix(n, "-account-ClaimedAccountConcurrency") && s.Region == "us-east-1" {
				in = append(in, s.Name)
			}
		}
	}
	if diff := cmp.Diff([]string{c.Prefix() + "-us-east-1-edge"}, in); diff != "" {
		t.Errorf("stacks with us-east-1's account concurrency alarm (-want +got):\n%s", diff)
	}
}

// A VPC link a region does not list is reported once, on the region's
// entry, not again by the construct that would get an empty id there.
func TestAMissingVPCLinkIsReportedOnce(t *testing.T) {
	c := config.Default()
	c.Site.ContentDir = "../web"
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
