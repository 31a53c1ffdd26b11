package delivery

import (
	"regexp"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/guard/suppress"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// SuppressPipelineFindings records, on a built CDK Pipelines pipeline
// (after BuildPipeline), why cdk-nag's, checkov's and cfn-lint's findings
// on its own roles, buckets and pipeline do not apply. Each suppression names
// the pattern of the findings it covers; anything else still fails the gates.
// alarmPrefix is the start of the alarm names its alarm checks read
// (NewAlarmCheck), such as "brokerage-".
//
//	p.BuildPipeline()
//	delivery.SuppressPipelineFindings(p, "brokerage-")
func SuppressPipelineFindings(p pipelines.CodePipeline, alarmPrefix string) {
	cp := p.Pipeline()
	arn := "arn:" + nagPartition(awscdk.Stack_Of(p)) + ":"
	nagRegex(p, "AwsSolutions-IAM5",
		"CDK Pipelines' grants on its own artifact buckets and keys: the grant helpers' action sets (read and write of pipeline artifacts), on the pipeline's buckets only.",
		`/^Action::(s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*|kms:(ReEncrypt|GenerateDataKey)\*)$/`,
		`/^Resource::(<PipelineArtifactsBucket[A-F0-9]+\.Arn>|`+arn+`s3:::[a-z0-9-]+replicationbucket[a-z0-9]+)\/\*$/`)
	nagRegex(p, "AwsSolutions-IAM5",
		"CodeBuild writes its own log streams and test reports: the log group and report groups of the pipeline's projects, whose names CodeBuild derives.",
		`/^Resource::`+arn+`(logs|codebuild):[a-z0-9-]+:[0-9]{12}:(log-group:\/aws\/codebuild\/|report-group\/)(<[A-Za-z0-9]+>)?[-:]?\*$/`)
	nagRegex(p, "AwsSolutions-IAM5",
		"The alarm check reads the platform's alarms of one stage in one region: every alarm it names starts with the stage's prefix, and new alarms must be covered without a pipeline change.",
		`/^Resource::`+arn+`cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:`+regexp.QuoteMeta(alarmPrefix)+`[a-z0-9-]*-\*$/`)
	suppress.Nag(cp.Role(), "AwsSolutions-IAM5",
		"The pipeline role encrypts artifacts with the cross-region support stacks' keys, which it knows only by alias: KMS grants cannot name them by ARN.", "Resource::*")
	nagRegex(p.SelfMutationProject().Role(), "AwsSolutions-IAM5",
		"Self-mutation assumes the CDK bootstrap roles (restricted by CDK Pipelines to roles tagged aws-cdk:bootstrap-role) and reads stack status, which IAM scopes to no narrower resource.",
		`/^Resource::\*$/`, `/^Resource::arn:\*:iam::[0-9]{12}:role\/\*$/`)
	assets := p.Node().FindChild(jsii.String("Assets"))
	suppress.Nag(assets, "AwsSolutions-IAM5",
		"The asset publishing role starts and watches the pipeline's asset CodeBuild builds; CodePipeline's CodeBuild action requires codebuild:StartBuild on the projects it creates on the fly.",
		"Resource::*")
	artifacts := "Pipeline artifacts are build outputs, re-created from git by every run: no data of record, nothing to restore from an older version. Reads and writes go through the pipeline's roles only and are recorded by CloudTrail."
	for _, b := range artifactBuckets(cp) {
		suppress.Nag(b, "AwsSolutions-S1", artifacts)
		bucket := cfnOf(b)
		suppress.Checkov(bucket, "CKV_AWS_18", artifacts)
		suppress.Checkov(bucket, "CKV_AWS_21", artifacts)
	}
	suppress.Checkov(cfnOf(cp.Role().Node().FindChild(jsii.String("DefaultPolicy"))), "CKV_AWS_111",
		"kms:Encrypt and GenerateDataKey on the cross-region support keys, known only by alias (see the AwsSolutions-IAM5 suppression).")
	suppress.Checkov(cfnOf(assets.Node().FindChild(jsii.String("FileRole")).Node().FindChild(jsii.String("DefaultPolicy"))), "CKV_AWS_111",
		"codebuild:StartBuild on the asset projects CodePipeline's CodeBuild action creates (see the AwsSolutions-IAM5 suppression).")
	// CDK adds an explicit DependsOn on the role next to the GetAtt.
	suppress.CfnLint(cfnOf(cp), "W3005")
}

// RetainArtifactKeys keeps the keys of a built pipeline's artifact buckets
// (its own and the cross-region support stacks') when their stacks are
// deleted, as CDK Pipelines keeps the buckets: a deleted key would leave the
// retained buckets unreadable.
func RetainArtifactKeys(p pipelines.CodePipeline) {
	cp := p.Pipeline()
	cfnOf(cp.ArtifactBucket().EncryptionKey()).ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	// A support stack references its bucket's key by alias: find the key itself.
	for _, support := range *cp.CrossRegionSupport() {
		for _, c := range *support.Stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
			if *awskms.CfnKey_IsCfnKey(c) {
				c.(awscdk.CfnResource).ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
			}
		}
	}
}

// artifactBuckets are the pipeline's artifact bucket and its cross-region
// replication buckets, in region order.
func artifactBuckets(cp awscodepipeline.Pipeline) []constructs.IConstruct {
	buckets := []constructs.IConstruct{cp.ArtifactBucket()}
	support := *cp.CrossRegionSupport()
	regions := make([]string, 0, len(support))
	for r := range support {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	for _, r := range regions {
		buckets = append(buckets, support[r].ReplicationBucket)
	}
	return buckets
}

// cfnOf is the CloudFormation resource of a construct.
func cfnOf(c constructs.IConstruct) awscdk.CfnResource {
	return c.Node().DefaultChild().(awscdk.CfnResource)
}

// nagRegex is suppress.Nag for findings matching regular expressions ("/pattern/").
func nagRegex(c constructs.IConstruct, rule, reason string, patterns ...string) {
	applies := make([]any, len(patterns))
	for i, p := range patterns {
		applies[i] = &cdknag.RegexAppliesTo{Regex: jsii.String(p)}
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{{Id: jsii.String(rule), Reason: jsii.String(reason), AppliesTo: &applies}}, jsii.Bool(true))
}

// nagPartition is the partition as cdk-nag writes it in the findings on
// stack s, quoted for a regular expression: the partition itself where the
// stack's region fixes it (aws, aws-cn), the token <AWS::Partition>
// otherwise.
func nagPartition(s awscdk.Stack) string {
	p := s.Partition()
	if *awscdk.Token_IsUnresolved(p) {
		return "<AWS::Partition>"
	}
	return regexp.QuoteMeta(*p)
}
