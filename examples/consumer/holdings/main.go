// Command holdings is a consumer Lambda: each trade execution adds its
// quantity to (a buy) or takes it from (a sell) the account's position in
// the symbol, in the DynamoDB transaction that records the execution
// applied, so a redelivery changes nothing and an account's executions
// apply in its sequence.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/brokerage/platform/lambda/consumer"
)

// execution is the part of the broker's body this consumer reads.
type execution struct {
	Symbol   string `json:"symbol"`
	Side     string `json:"side"` // "buy" or "sell"
	Quantity int64  `json:"quantity"`
}

func apply(table string) consumer.Handler {
	return func(ctx context.Context, e consumer.Execution) error {
		var x execution
		if err := json.Unmarshal(e.Body, &x); err != nil || x.Symbol == "" || x.Quantity <= 0 {
			return fmt.Errorf("execution %s: want a symbol and a positive quantity", e.ID)
		}
		delta := x.Quantity
		switch x.Side {
		case "buy":
		case "sell":
			delta = -delta
		default:
			return fmt.Errorf("execution %s: side %q, want buy or sell", e.ID, x.Side)
		}
		consumer.Write(ctx, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(table),
			Key: map[string]types.AttributeValue{
				"account": &types.AttributeValueMemberS{Value: e.Account},
				"symbol":  &types.AttributeValueMemberS{Value: x.Symbol},
			},
			UpdateExpression:          aws.String("ADD quantity :delta"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":delta": &types.AttributeValueMemberN{Value: fmt.Sprint(delta)}},
		}})
		return nil
	}
}

func main() { consumer.Start(apply(os.Getenv("HOLDINGS_TABLE")), consumer.Options{}) }
