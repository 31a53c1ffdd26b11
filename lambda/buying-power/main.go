// Command buying-power is the reference buying-power consumer: each trade
// execution takes its amount from (a buy) or adds it to (a sell) the
// account's cash, in minor units, in the table BUYING_POWER_TABLE names
// (key account; attribute cash), in the DynamoDB transaction that records
// the execution applied (package lambda/consumer): once per execution, in
// the account's sequence.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/brokerage/platform/lambda/consumer"
	"github.com/brokerage/platform/lambda/consumer/trade"
)

// update is the write that applies t to the account's cash.
func update(table, account string, t trade.Trade) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(table),
		Key:                       map[string]types.AttributeValue{"account": &types.AttributeValueMemberS{Value: account}},
		UpdateExpression:          aws.String("ADD cash :cash"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":cash": &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Cash(), 10)}},
	}}
}

func apply(table string) consumer.Handler {
	return func(ctx context.Context, e consumer.Execution) error {
		t, err := trade.Parse(e.Body)
		if err != nil {
			return fmt.Errorf("execution %s: %w", e.ID, err)
		}
		consumer.Write(ctx, update(table, e.Account, t))
		return nil
	}
}

func main() { consumer.Start(apply(os.Getenv("BUYING_POWER_TABLE")), consumer.Options{}) }
