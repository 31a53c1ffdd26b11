package alarms

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// Metric is one CloudWatch metric of one resource, aggregated one way: what
// an alarm evaluates, a dashboard line draws and a construct's Metric*
// method returns. Take it from a Source (Source.Metric), or from a kind's
// alarm (Kind.Metric) to get exactly what that alarm evaluates.
type Metric struct {
	Namespace, Name string
	// Dimensions are name, value pairs; a value may be a CDK token.
	Dimensions []string
	// Statistic is Average, Sum, Maximum, SampleCount or a percentile (p90).
	Statistic string
	// PeriodSeconds. Default (Source.Metric): 60.
	PeriodSeconds int
}

// key identifies the metric: equal keys, the same time series and statistic.
func (m Metric) key() string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%d", m.Namespace, m.Name, strings.Join(m.Dimensions, "\x00"), m.Statistic, m.PeriodSeconds)
}

// Source is where one resource's metrics are: a namespace and the
// dimensions, as name, value pairs, that name the resource. Take it from
// the resource's constructor (QueueMetrics, APIStageMetrics...).
type Source struct {
	Namespace  string
	Dimensions []string
}

// Metric is the source's metric name aggregated by stat per minute.
func (s Source) Metric(name, stat string) Metric {
	return Metric{Namespace: s.Namespace, Name: name, Dimensions: s.Dimensions, Statistic: stat, PeriodSeconds: 60}
}

// Shape is how CloudWatch names one type of resource's metrics.
type Shape struct {
	Namespace string
	// Dimensions name the dimensions whose values are the resource's, in order.
	Dimensions []string
	// Fixed are further dimensions with fixed values, as name, value pairs
	// (CloudFront's Region=Global, S3 request metrics' FilterId).
	Fixed []string
}

// Of is the source of the resource whose dimension values are values, in
// the order of Dimensions; it panics on a wrong count.
func (sh Shape) Of(values ...string) Source {
	if len(values) != len(sh.Dimensions) {
		panic(fmt.Sprintf("alarms: %s metrics take %d dimension values (%s), got %d", sh.Namespace, len(sh.Dimensions), strings.Join(sh.Dimensions, ", "), len(values)))
	}
	dims := make([]string, 0, 2*len(values)+len(sh.Fixed))
	for i, v := range values {
		dims = append(dims, sh.Dimensions[i], v)
	}
	return Source{Namespace: sh.Namespace, Dimensions: append(dims, sh.Fixed...)}
}

// holds tells whether src is a resource of this shape.
func (sh Shape) holds(src Source) bool {
	n := 2 * len(sh.Dimensions)
	if src.Namespace != sh.Namespace || len(src.Dimensions) != n+len(sh.Fixed) {
		return false
	}
	for i, d := range sh.Dimensions {
		if src.Dimensions[2*i] != d {
			return false
		}
	}
	return slices.Equal(src.Dimensions[n:], sh.Fixed)
}

// RedistributorNamespace is the CloudWatch namespace of the fan-out
// redistributor's own metrics (embedded metric format).
const RedistributorNamespace = "Brokerage/Fanout"

// ConsumerNamespace is the CloudWatch namespace of a consumer Lambda's own
// metrics: package lambda/consumer's default, which the fan-out's consumer
// construct sets (the fanout tests check that the two agree).
const ConsumerNamespace = "Brokerage/Consumer"

// The shapes of the resources the platform watches.
var (
	sqsQueue        = Shape{Namespace: "AWS/SQS", Dimensions: []string{"QueueName"}}
	snsTopic        = Shape{Namespace: "AWS/SNS", Dimensions: []string{"TopicName"}}
	lambdaFunction  = Shape{Namespace: "AWS/Lambda", Dimensions: []string{"FunctionName"}}
	distribution    = Shape{Namespace: "AWS/CloudFront", Dimensions: []string{"DistributionId"}, Fixed: []string{"Region", "Global"}}
	s3Bucket        = Shape{Namespace: "AWS/S3", Dimensions: []string{"BucketName"}, Fixed: []string{"FilterId", "EntireBucket"}}
	apiStage        = Shape{Namespace: "AWS/ApiGateway", Dimensions: []string{"ApiName", "Stage"}}
	redistributor   = Shape{Namespace: RedistributorNamespace, Dimensions: []string{"FunctionName"}}
	consumerRuntime = Shape{Namespace: ConsumerNamespace, Dimensions: []string{"FunctionName"}}
)

// QueueMetrics are an SQS queue's metrics (AWS/SQS), by its name.
func QueueMetrics(name string) Source { return sqsQueue.Of(name) }

// TopicMetrics are an SNS topic's metrics (AWS/SNS), by its name.
func TopicMetrics(name string) Source { return snsTopic.Of(name) }

// FunctionMetrics are a Lambda function's metrics (AWS/Lambda), by its name.
func FunctionMetrics(name string) Source { return lambdaFunction.Of(name) }

// DistributionMetrics are a CloudFront distribution's metrics
// (AWS/CloudFront, Region=Global, read in us-east-1), by its id.
func DistributionMetrics(id string) Source { return distribution.Of(id) }

// BucketMetrics are an S3 bucket's request metrics of its EntireBucket
// filter (AWS/S3), by its name.
func BucketMetrics(name string) Source { return s3Bucket.Of(name) }

// APIStageMetrics are a REST API stage's metrics (AWS/ApiGateway), by the
// API's name and the stage's.
func APIStageMetrics(apiName, stage string) Source { return apiStage.Of(apiName, stage) }

// RedistributorMetrics are the fan-out redistributor's own metrics
// (RedistributorNamespace), by its function name.
func RedistributorMetrics(functionName string) Source { return redistributor.Of(functionName) }

// ConsumerMetrics are a consumer Lambda's own metrics (package
// lambda/consumer, in its DefaultNamespace), by its function name.
func ConsumerMetrics(functionName string) Source { return consumerRuntime.Of(functionName) }

// Metric is what the kind's alarm on the metric name evaluates for the
// resource whose metrics are src: the catalogue's statistic and period. It
// panics when the kind has no alarm on name or src is not of the kind's
// shape.
//
// Example:
//
//	alarms.KindDLQ.Metric(alarms.QueueMetrics("orders-dlq"), "ApproximateNumberOfMessagesVisible")
func (k Kind) Metric(src Source, name string) Metric {
	k.spec().mustHold(k, src)
	return k.alarm(name).metricOf(src)
}

// MetricOptions are opts with the statistic and period of the kind's alarm
// on the metric name wherever opts leaves them unset (opts may be nil).
// Given to a resource's own aws-cdk-lib metric method, they make it read
// exactly what that alarm evaluates:
//
//	queue.MetricApproximateAgeOfOldestMessage(alarms.KindConsumerQueue.MetricOptions("ApproximateAgeOfOldestMessage", nil))
//
// It panics when the kind has no alarm on name.
func (k Kind) MetricOptions(name string, opts *awscloudwatch.MetricOptions) *awscloudwatch.MetricOptions {
	s := k.alarm(name)
	var o awscloudwatch.MetricOptions
	if opts != nil {
		o = *opts
	}
	if o.Statistic == nil {
		o.Statistic = jsii.String(s.Statistic)
	}
	if o.Period == nil {
		o.Period = awscdk.Duration_Seconds(jsii.Number(float64(s.PeriodSeconds)))
	}
	return &o
}

func (k Kind) alarm(name string) Spec {
	for _, s := range k.spec().Alarms {
		if s.Metric == name {
			return s
		}
	}
	panic(fmt.Sprintf("alarms: kind %s has no alarm on %s", k, name))
}

func (k Kind) spec() KindSpec {
	ks, ok := Catalogue[k]
	if !ok {
		panic(fmt.Sprintf("alarms: unknown kind %q", k))
	}
	return ks
}

func (ks KindSpec) mustHold(k Kind, src Source) {
	if !ks.holds(src) {
		panic(fmt.Sprintf("alarms: %s metrics are %s by %s, got %s by %v", k, ks.Namespace, strings.Join(append(slices.Clone(ks.Dimensions), ks.Fixed...), ", "), src.Namespace, src.Dimensions))
	}
}

// metricOf is the metric the alarm s evaluates for src.
func (s Spec) metricOf(src Source) Metric {
	m := src.Metric(s.Metric, s.Statistic)
	m.PeriodSeconds = s.PeriodSeconds
	return m
}

// CDK is m as a CDK metric: for alarms, graph lines and a construct's
// Metric* methods.
func (m Metric) CDK() awscloudwatch.Metric {
	p := &awscloudwatch.MetricProps{
		Namespace: jsii.String(m.Namespace), MetricName: jsii.String(m.Name), Statistic: jsii.String(m.Statistic),
		Period: awscdk.Duration_Seconds(jsii.Number(float64(m.PeriodSeconds))),
	}
	if len(m.Dimensions) > 0 {
		dims := make(map[string]*string, len(m.Dimensions)/2)
		for i := 0; i+1 < len(m.Dimensions); i += 2 {
			dims[m.Dimensions[i]] = jsii.String(m.Dimensions[i+1])
		}
		p.DimensionsMap = &dims
	}
	return awscloudwatch.NewMetric(p)
}
