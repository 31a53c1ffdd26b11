package site_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/site"
)

// A site for Australia/New Zealand, the UK and Brazil needs PriceClass_All:
// the cheaper classes have no edge locations there. CloudFront publishes
// its metrics in us-east-1, where the site and its alarms are.
func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("edge"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("us-east-1")}})
	al := alarms.New(stack, "Alarms", &alarms.Props{Prefix: "web", Recipients: map[alarms.Severity]alarms.Recipients{
		alarms.SeverityPage: {Emails: []string{"oncall@example.com"}}, alarms.SeverityNotify: {Emails: []string{"ops@example.com"}}}})
	s := site.New(stack, "Site", &site.Props{ContentDir: "../../web", Alarms: al, Markets: []string{"AU", "NZ", "GB", "BR"}, SPAFallback: true})

	app.Synth(nil)
	fmt.Println(s.PriceClass)
	// Output: PriceClass_All
}
