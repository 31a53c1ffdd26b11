// Command site serves the content folder from a private S3 bucket through
// CloudFront, with the site's alarms in us-east-1 (where CloudFront
// publishes its metrics) and a dashboard of them.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/site"
)

func main() {
	app := awscdk.NewApp(nil)
	build(app)
	app.Synth(nil)
}

func build(app awscdk.App) {
	stack := awscdk.NewStack(app, jsii.String("web"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("us-east-1")},
	})
	al := alarms.New(stack, "Alarms", &alarms.Props{Recipients: map[alarms.Severity]alarms.Recipients{
		alarms.SeverityPage: {Emails: []string{"oncall@example.com"}}, alarms.SeverityNotify: {Emails: []string{"ops@example.com"}},
	}})
	site.New(stack, "Site", &site.Props{ContentDir: "content", Alarms: al, WAF: true})
	al.Dashboard(stack, "Dashboard", "web", "Site alarms")
}
