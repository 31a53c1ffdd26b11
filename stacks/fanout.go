package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/fanout"
)

// IngestProps are the fan-out's props as the configuration decides them:
// the ingest half's, and through IngestProps.RegionalProps every region's.
func IngestProps(c *config.Config) *fanout.IngestProps {
	return &fanout.IngestProps{
		Prefix:              c.Prefix(),
		Subject:             "trade-executions",
		BrokerAccounts:      c.Fanout.BrokerAccounts,
		BrokerRoles:         c.Fanout.BrokerRoles,
		TrustBrokerAccounts: c.Fanout.TrustBrokerAccounts,
		FIFO:                c.Fanout.Ordering == config.OrderingFIFO,
		MaxReceiveCount:     c.Fanout.MaxReceiveCount,
		DestinationRegions:  c.RegionNames(),
		RemovalPolicy:       removalPolicy(c),
	}
}

// ConsumerProps are a configured consumer's props; code makes the Lambda
// of the reference consumer it names as its handler, from its directory
// (nil: no handler).
func ConsumerProps(cons config.Consumer, code func(dir string) awslambda.Code) *fanout.ConsumerProps {
	props := &fanout.ConsumerProps{Name: cons.Name, TimeoutSeconds: cons.TimeoutSeconds, MaxReceiveCount: cons.MaxReceiveCount, Paused: cons.Paused}
	if ref, ok := ReferenceConsumers[cons.Handler]; ok && code != nil {
		props.Handler = code(ref.Dir)
	}
	return props
}

// ReferenceConsumer is a consumer the platform runs: its Lambda and the
// table it applies executions to.
type ReferenceConsumer struct {
	// Dir is the Lambda's main package in this module.
	Dir string
	// TableID and Table describe its table (fanout.Consumer.AddTable).
	TableID string
	Table   fanout.TableProps
}

// ReferenceConsumers are the consumers the platform runs, by the name a
// configuration's consumer gives as its handler. Each Lambda reads its
// table's name from the Table.Env its main.go names.
var ReferenceConsumers = map[string]ReferenceConsumer{
	"holdings":     {Dir: "lambda/holdings", TableID: "Holdings", Table: fanout.TableProps{Env: "HOLDINGS_TABLE", PartitionKey: "account", SortKey: "symbol"}},
	"buying-power": {Dir: "lambda/buying-power", TableID: "BuyingPower", Table: fanout.TableProps{Env: "BUYING_POWER_TABLE", PartitionKey: "account"}},
}
