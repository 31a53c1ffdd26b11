// Command holdings is the reference holdings consumer: each trade
// execution adds its quantity to (a buy) or takes it from (a sell) the
// account's position in the symbol, in the table HOLDINGS_TABLE names
// (key account, symbol; attribute quantity), in the DynamoDB transaction
// that records the execution applied (package lambda/consumer): once per
// execution, in the account's sequence.
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

// update is the write that applies t to the account's position.
func update(table, account string, t trade.Trade) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(table),
		Key: map[string]types.AttributeValue{
			"account": &types.AttributeValueMemberS{Value: account},
			"symbol":  &types.AttributeValueMemberS{Value: t.Symbol},
		},
		UpdateExpression:          aws.String("ADD quantity :units"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":units": &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Units(), 10)}},
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

func main() { consumer.Start(apply(os.Getenv("HOLDINGS_TABLE")), consumer.Options{}) }
