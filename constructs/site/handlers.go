package site

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/suppress"
)

// AutoDeleteHandlerID is the construct ID, at the stack's root, of the
// custom resource provider aws-cdk-lib adds for buckets that empty
// themselves on deletion (a singleton per stack); its Lambda function is
// its "Handler" child.
const AutoDeleteHandlerID = "Custom::S3AutoDeleteObjectsCustomResourceProvider"

// watch gives the distribution, the bucket and the Lambda handlers the
// site caused at its stack's root the catalogue's alarms of their kinds,
// puts the site's lines on the alarms' dashboard, and records on each handler why the checks it fails do not apply.
// cdk-nag's suppressions cover the children a function has when they are
// recorded, so the alarms created under it carry them too. The handlers
// are the site's own: its deployments' (found through their handler role,
// not by ID, so another construct's BucketDeployment in the stack is left
// to its owner) and, with RemovalPolicy DESTROY, the auto-delete provider
// its buckets share with any other self-emptying bucket of the stack.
func (s *StaticSite) watch(al *alarms.Alarms) {
	al.Watch(s.Distribution, alarms.Target{Kind: alarms.KindDistribution, Label: "site", Metrics: s.Metrics()})
	al.AddWidgets(s.Widgets()...)
	al.Watch(s.Bucket, alarms.Target{Kind: alarms.KindSiteBucket, Label: "site-bucket", Metrics: alarms.BucketMetrics(*s.Bucket.BucketName())})
	watchHandler := func(name string, fn awscdk.CfnResource) {
		// aws-cdk-lib sets both handlers' timeouts to 15 minutes.
		al.Watch(fn, alarms.Target{Kind: alarms.KindFunction, Label: "site-" + name, Metrics: alarms.FunctionMetrics(*fn.Ref()), TimeoutSeconds: 900})
	}
	seen := map[string]bool{}
	for _, d := range s.Deployments {
		handler := d.HandlerRole().Node().Scope()
		if path := *handler.Node().Path(); !seen[path] {
			seen[path] = true
			fn := handler.Node().DefaultChild().(awscdk.CfnResource)
			watchHandler("deployment", fn)
			suppressBucketDeployment(handler, fn)
		}
	}
	if provider := awscdk.Stack_Of(s.Construct).Node().TryFindChild(jsii.String(AutoDeleteHandlerID)); provider != nil {
		fn := provider.Node().FindChild(jsii.String("Handler")).(awscdk.CfnResource)
		watchHandler("auto-delete", fn)
		suppressAutoDelete(provider, fn)
	}
}

// suppressBucketDeployment records why the checks that aws-cdk-lib's own
// BucketDeployment handler fails do not apply.
func suppressBucketDeployment(handler constructs.IConstruct, fn awscdk.CfnResource) {
	const owned = "aws-cdk-lib's BucketDeployment handler, which runs only while a deploy copies the site: "
	suppress.Subtree(fn).
		Nag("AwsSolutions-L1", owned+"its runtime is chosen and updated by aws-cdk-lib.").
		Nag("Serverless-LambdaLatestVersion", owned+"its runtime is chosen and updated by aws-cdk-lib.").
		Nag("Serverless-LambdaDLQ", owned+"CloudFormation invokes it and reports a failure as a failed deploy.").
		Nag("Serverless-LambdaTracing", owned+"its logs and the deploy's events are enough to debug it.").
		// aws-cdk-lib makes it depend on its role explicitly as well as
		// through Fn::GetAtt, which cfn-lint reports as redundant.
		CfnLint("W3005").
		Checkov("CKV_AWS_116", owned+"CloudFormation invokes it and reports a failure as a failed deploy.").
		Checkov("CKV_AWS_117", owned+"it calls only S3 and CloudFront APIs.").
		Checkov("CKV_AWS_115", owned+"one invocation per deploy.").
		Checkov("CKV_AWS_173", owned+"its environment holds no secrets.").
		Record()
	role := handler.Node().FindChild(jsii.String("ServiceRole"))
	suppress.Subtree(role).
		Nag("AwsSolutions-IAM4", owned+"aws-cdk-lib gives it AWSLambdaBasicExecutionRole for its logs.").
		Nag("AwsSolutions-IAM5", owned+"it copies objects from the CDK assets bucket to the site bucket and needs object-level wildcards on both (scoped by aws-cdk-lib to those two buckets; its invalidations are allowed on the site's distribution only).").
		Record()
	suppress.Checkov(role.Node().FindChild(jsii.String("DefaultPolicy")), "CKV_AWS_111", owned+"its writes are limited to the site bucket (by aws-cdk-lib) and the site's distribution's invalidations (by the site).")
	if lg := handler.Node().TryFindChild(jsii.String("LogGroup")); lg != nil {
		suppress.Checkov(lg, "CKV_AWS_158", owned+"its logs list file names, no customer data.")
	}
}

// suppressAutoDelete records why the checks that aws-cdk-lib's own
// auto-delete handler (buckets emptied when a non-prod stack is deleted)
// fails do not apply.
func suppressAutoDelete(provider constructs.IConstruct, fn awscdk.CfnResource) {
	const owned = "aws-cdk-lib's S3 auto-delete handler, which runs only when CloudFormation deletes a non-prod site bucket: "
	suppress.Resource(fn).
		// W3005: as for the BucketDeployment handler.
		CfnLint("W3005").
		Checkov("CKV_AWS_116", owned+"CloudFormation invokes it and reports a failure as a failed delete.").
		Checkov("CKV_AWS_117", owned+"it calls only S3 APIs.").
		Checkov("CKV_AWS_115", owned+"one invocation per bucket deletion.").
		Checkov("CKV_AWS_173", owned+"it has no environment variables.").
		Record()
	suppress.Nag(provider.Node().FindChild(jsii.String("Role")), "AwsSolutions-IAM4", owned+"aws-cdk-lib gives it AWSLambdaBasicExecutionRole for its logs.")
}
