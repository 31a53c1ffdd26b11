//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/brokerage/platform/internal/cfn"
)

// clients are the SDK clients of one region, all pointed at moto.
type clients struct {
	cfn    *cloudformation.Client
	lambda *lambda.Client
	sns    *sns.Client
	sqs    *sqs.Client
}

// cloud hands out clients per region. moto serves every region on one
// endpoint and tells them apart by the region the request is signed for.
type cloud struct {
	cfg      aws.Config
	endpoint string
	mu       sync.Mutex
	byRegion map[string]*clients
}

func newCloud(ctx context.Context, endpoint string) (*cloud, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx,
		awsconfig.WithBaseEndpoint(endpoint),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		awsconfig.WithRegion("us-east-1"),
	)
	if err != nil {
		return nil, err
	}
	return &cloud{cfg: cfg, endpoint: endpoint, byRegion: map[string]*clients{}}, nil
}

func (c *cloud) in(region string) *clients {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.byRegion[region]; ok {
		return cl
	}
	cl := &clients{
		cfn:    cloudformation.NewFromConfig(c.cfg, func(o *cloudformation.Options) { o.Region = region }),
		lambda: lambda.NewFromConfig(c.cfg, func(o *lambda.Options) { o.Region = region }),
		sns:    sns.NewFromConfig(c.cfg, func(o *sns.Options) { o.Region = region }),
		sqs:    sqs.NewFromConfig(c.cfg, func(o *sqs.Options) { o.Region = region }),
	}
	c.byRegion[region] = cl
	return cl
}

// queueURL is the URL moto serves a queue under. The queues' physical ids in
// CloudFormation are AWS-style URLs (https://sqs.<region>.amazonaws.com/...)
// that moto does not answer on, so queues are looked up by name.
func (c *cloud) queueURL(ctx context.Context, region, name string) (string, error) {
	out, err := c.in(region).sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &name})
	if err != nil {
		return "", fmt.Errorf("queue %s in %s: %w", name, region, err)
	}
	return *out.QueueUrl, nil
}

func (c *cloud) queueAttributes(ctx context.Context, region, name string, names ...sqstypes.QueueAttributeName) (map[string]string, error) {
	url, err := c.queueURL(ctx, region, name)
	if err != nil {
		return nil, err
	}
	out, err := c.in(region).sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: names})
	if err != nil {
		return nil, fmt.Errorf("attributes of queue %s in %s: %w", name, region, err)
	}
	return out.Attributes, nil
}

// resource is one resource of a synthesized template.
type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	Metadata   struct {
		Path string `json:"aws:cdk:path"`
	} `json:"Metadata"`
}

// stack is one stack of the cloud assembly, with what moto deployed of it.
type stack struct {
	name, account, region string
	// resources are the template's, by logical id.
	resources map[string]resource
	// deployed are moto's stack resources, by logical id.
	deployed map[string]cfntypes.StackResourceSummary
	// unnamed counts the rows moto lists without a logical id: one per
	// resource its CloudFormation skipped.
	unnamed int
}

// ids are the stack's logical ids of the given type, sorted.
func (s *stack) ids(typ string) []string {
	var out []string
	for id, r := range s.resources {
		if r.Type == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// loadAssembly reads the stacks of a cloud assembly (a cdk.out directory),
// sorted by name.
func loadAssembly(dir string) ([]*stack, error) {
	a, err := cfn.ReadAssembly(dir)
	if err != nil {
		return nil, err
	}
	var stacks []*stack
	for _, as := range a.Stacks {
		if as.Account == "" || as.Region == "" {
			return nil, fmt.Errorf("stack %s: its environment is not aws://ACCOUNT/REGION", as.ID)
		}
		s := &stack{name: as.Name, account: as.Account, region: as.Region, deployed: map[string]cfntypes.StackResourceSummary{}}
		var tmpl struct {
			Resources map[string]resource `json:"Resources"`
		}
		if err := readJSON(as.TemplatePath, &tmpl); err != nil {
			return nil, err
		}
		s.resources = tmpl.Resources
		stacks = append(stacks, s)
	}
	if len(stacks) == 0 {
		return nil, fmt.Errorf("no stacks in the cloud assembly %s", dir)
	}
	sort.Slice(stacks, func(i, j int) bool { return stacks[i].name < stacks[j].name })
	return stacks, nil
}

func readJSON(file string, v any) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

// loadDeployed asks moto's CloudFormation what it deployed of the stack.
func (c *cloud) loadDeployed(ctx context.Context, s *stack) error {
	cfn := c.in(s.region).cfn
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: &s.name})
	if err != nil {
		return fmt.Errorf("stack %s in %s: %w", s.name, s.region, err)
	}
	if got := out.Stacks[0].StackStatus; got != cfntypes.StackStatusCreateComplete {
		return fmt.Errorf("stack %s: got status %s, want %s", s.name, got, cfntypes.StackStatusCreateComplete)
	}
	pages := cloudformation.NewListStackResourcesPaginator(cfn, &cloudformation.ListStackResourcesInput{StackName: &s.name})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("resources of stack %s: %w", s.name, err)
		}
		for _, r := range page.StackResourceSummaries {
			if aws.ToString(r.LogicalResourceId) == "" {
				s.unnamed++
				continue
			}
			s.deployed[*r.LogicalResourceId] = r
		}
	}
	return nil
}

// deployment resolves the templates' intrinsic functions against what moto
// deployed, so that a skipped resource can be re-created with exactly the
// values CloudFormation would have given it.
type deployment struct {
	cloud  *cloud
	stacks []*stack
}

// resolve evaluates the intrinsic functions in a template value: Ref,
// Fn::GetAtt (of the types the fan-out reads) and Fn::Join. Any other
// function is an error rather than a guess.
func (d *deployment) resolve(ctx context.Context, s *stack, v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for fn, arg := range v {
				switch {
				case fn == "Ref":
					return d.ref(s, arg)
				case fn == "Fn::GetAtt":
					return d.getAtt(ctx, s, arg)
				case fn == "Fn::Join":
					return d.join(ctx, s, arg)
				case strings.HasPrefix(fn, "Fn::"):
					return nil, fmt.Errorf("%s is not resolved by this test; extend deployment.resolve", fn)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			r, err := d.resolve(ctx, s, x)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			r, err := d.resolve(ctx, s, x)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	default:
		return v, nil
	}
}

func (d *deployment) ref(s *stack, arg any) (any, error) {
	id, _ := arg.(string)
	switch id {
	case "AWS::AccountId":
		return s.account, nil
	case "AWS::Region":
		return s.region, nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::StackName":
		return s.name, nil
	}
	r, ok := s.deployed[id]
	if !ok {
		return nil, fmt.Errorf("Ref to %s, which moto did not deploy in %s", id, s.name)
	}
	return aws.ToString(r.PhysicalResourceId), nil
}

func (d *deployment) getAtt(ctx context.Context, s *stack, arg any) (any, error) {
	parts, _ := arg.([]any)
	if len(parts) != 2 {
		return nil, fmt.Errorf("Fn::GetAtt %v: want [logicalId, attribute]", arg)
	}
	id, _ := parts[0].(string)
	attr, _ := parts[1].(string)
	r, ok := s.deployed[id]
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt of %s, which moto did not deploy in %s", id, s.name)
	}
	physical := aws.ToString(r.PhysicalResourceId)
	switch typ := s.resources[id].Type; {
	case typ == "AWS::SQS::Queue" && attr == "Arn":
		attrs, err := d.cloud.queueAttributes(ctx, s.region, path.Base(physical), sqstypes.QueueAttributeNameQueueArn)
		if err != nil {
			return nil, err
		}
		return attrs[string(sqstypes.QueueAttributeNameQueueArn)], nil
	case typ == "AWS::SQS::Queue" && attr == "QueueName":
		return path.Base(physical), nil
	case typ == "AWS::SNS::Topic" && attr == "TopicArn":
		return physical, nil
	default:
		return nil, fmt.Errorf("Fn::GetAtt %s.%s of a %s is not resolved by this test; extend deployment.getAtt", id, attr, typ)
	}
}

func (d *deployment) join(ctx context.Context, s *stack, arg any) (any, error) {
	parts, _ := arg.([]any)
	if len(parts) != 2 {
		return nil, fmt.Errorf("Fn::Join %v: want [separator, list]", arg)
	}
	sep, _ := parts[0].(string)
	list, err := d.resolve(ctx, s, parts[1])
	if err != nil {
		return nil, err
	}
	items, _ := list.([]any)
	strs := make([]string, len(items))
	for i, x := range items {
		str, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("Fn::Join of a non-string %v", x)
		}
		strs[i] = str
	}
	return strings.Join(strs, sep), nil
}

// resourceNamed is the one resource of the assembly whose property prop
// (a physical name: QueueName, AlarmName) is name, with its stack's name.
func (d *deployment) resourceNamed(t *testing.T, prop, name string) (string, resource) {
	t.Helper()
	var stack string
	var found []resource
	for _, s := range d.stacks {
		for _, id := range sortedKeys(s.resources) {
			if r := s.resources[id]; r.Properties[prop] == name {
				stack, found = s.name, append(found, r)
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d resources with %s %s, want 1", len(found), prop, name)
	}
	return stack, found[0]
}
