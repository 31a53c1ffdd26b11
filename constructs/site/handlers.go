package site

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/internal/suppress"
)

// Handler names.
const (
	// HandlerDeployment copies the content (aws-cdk-lib's BucketDeployment).
	HandlerDeployment = "deployment"
	// HandlerAutoDelete empties the buckets when the stack is deleted
	// (Props.RemovalPolicy DESTROY).
	HandlerAutoDelete = "auto-delete"
)

// Handler is a Lambda function aws-cdk-lib adds to the site's stack for the
// site: a singleton at the stack's root, outside the site's own tree.
type Handler struct {
	// Name is HandlerDeployment or HandlerAutoDelete.
	Name string
	// Function is the handler's AWS::Lambda::Function.
	Function awscdk.CfnResource
	// TimeoutSeconds is the function's timeout, set by aws-cdk-lib.
	TimeoutSeconds float64
}

// bucketDeploymentHandler is the construct ID prefix of the Lambda that
// aws-cdk-lib's BucketDeployment adds to the stack (a singleton per memory size).
const bucketDeploymentHandler = "Custom::CDKBucketDeployment"

// AutoDeleteHandlerID is the construct ID, at the stack's root, of the
// custom resource provider aws-cdk-lib adds for buckets that empty
// themselves on deletion (a singleton per stack); its Lambda function is
// its "Handler" child.
const AutoDeleteHandlerID = "Custom::S3AutoDeleteObjectsCustomResourceProvider"

// WatchHandlers calls watch with each handler the site caused at its
// stack's root, in the stack's order, and then records on the handler why
// the checks it fails do not apply. cdk-nag's suppressions cover the
// children a function has when they are recorded, so what watch creates
// under the function (its alarms) carries them too. Call it once, when the
// stack holds every bucket deployment and self-emptying bucket it will:
// the handlers are singletons of the stack, shared with any other.
func (s *StaticSite) WatchHandlers(watch func(Handler)) {
	for _, child := range *awscdk.Stack_Of(s.Construct).Node().Children() {
		switch id := *child.Node().Id(); {
		case strings.HasPrefix(id, bucketDeploymentHandler):
			fn := child.Node().DefaultChild().(awscdk.CfnResource)
			watch(Handler{Name: HandlerDeployment, Function: fn, TimeoutSeconds: 900})
			suppressBucketDeployment(child, fn)
		case id == AutoDeleteHandlerID:
			fn := child.Node().FindChild(jsii.String("Handler")).(awscdk.CfnResource)
			watch(Handler{Name: HandlerAutoDelete, Function: fn, TimeoutSeconds: 900})
			suppressAutoDelete(child, fn)
		}
	}
}

// suppressBucketDeployment records why the checks that aws-cdk-lib's own
// BucketDeployment handler fails do not apply.
func suppressBucketDeployment(handler constructs.IConstruct, fn awscdk.CfnResource) {
	const owned = "aws-cdk-lib's BucketDeployment handler, which runs only while a deploy copies the site: "
	// The alarms watch created under the function carry its cdk-nag suppressions.
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
		Nag("AwsSolutions-IAM5", owned+"it copies objects from the CDK assets bucket to the site bucket and needs object-level wildcards on both (scoped by aws-cdk-lib to those two buckets and the distribution's invalidation).").
		Record()
	suppress.Checkov(role.Node().FindChild(jsii.String("DefaultPolicy")).Node().DefaultChild().(awscdk.CfnResource), "CKV_AWS_111", owned+"its writes are limited by aws-cdk-lib to the site bucket and the distribution's invalidations.")
	if lg := handler.Node().TryFindChild(jsii.String("LogGroup")); lg != nil {
		suppress.Checkov(lg.Node().DefaultChild().(awscdk.CfnResource), "CKV_AWS_158", owned+"its logs list file names, no customer data.")
	}
}

// suppressAutoDelete records why the checks that aws-cdk-lib's own
// auto-delete handler (buckets emptied when a non-prod stack is deleted)
// fails do not apply.
func suppressAutoDelete(provider constructs.IConstruct, fn awscdk.CfnResource) {
	const owned = "aws-cdk-lib's S3 auto-delete handler, which runs only when CloudFormation deletes a non-prod site bucket: "
	suppress.Resource(fn).
		// aws-cdk-lib makes it depend on its role explicitly as well as
		// through Fn::GetAtt, which cfn-lint reports as redundant.
		CfnLint("W3005").
		Checkov("CKV_AWS_116", owned+"CloudFormation invokes it and reports a failure as a failed delete.").
		Checkov("CKV_AWS_117", owned+"it calls only S3 APIs.").
		Checkov("CKV_AWS_115", owned+"one invocation per bucket deletion.").
		Checkov("CKV_AWS_173", owned+"it has no environment variables.").
		Record()
	suppress.Nag(provider.Node().FindChild(jsii.String("Role")), "AwsSolutions-IAM4", owned+"aws-cdk-lib gives it AWSLambdaBasicExecutionRole for its logs.")
}
