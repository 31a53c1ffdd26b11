// Command brokenapp synthesizes one deliberately broken stack, to show that
// aws-cdk-lib's built-in CloudFormation validation (with the project's
// cdk.json flags) fails a synthesis: an alarm with an unknown comparison operator.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{"@aws-cdk/core:validateAgainstDefaultRules": true}})
	s := awscdk.NewStack(app, jsii.String("broken"), nil)
	awscloudwatch.NewCfnAlarm(s, jsii.String("Alarm"), &awscloudwatch.CfnAlarmProps{
		MetricName: jsii.String("Errors"), Namespace: jsii.String("AWS/Lambda"), Statistic: jsii.String("Sum"), Period: jsii.Number(60),
		EvaluationPeriods: jsii.Number(1), Threshold: jsii.Number(0), ComparisonOperator: jsii.String("BiggerThan"),
	})
	app.Synth(nil)
}
