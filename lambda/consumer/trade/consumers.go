package trade

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/brokerage/platform/lambda/consumer"
)

// Holdings is the reference holdings consumer's handler: each execution
// adds its quantity to (a buy) or takes it from (a sell) the account's
// position in the symbol, in table (key account, symbol; attribute
// quantity), in the transaction that records it applied. An execution that
// is not a trade is not applied: its account is held.
func Holdings(table string) consumer.Handler { return applying(table, HoldingsUpdate) }

// HoldingsUpdate is the write that applies t to the account's position.
func HoldingsUpdate(table, account string, t Trade) types.TransactWriteItem {
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

// BuyingPower is the reference buying-power consumer's handler: each
// execution takes its amount from (a buy) or adds it to (a sell) the
// account's cash, in minor units, in table (key account; attribute cash),
// in the transaction that records it applied. An execution that is not a
// trade is not applied: its account is held.
func BuyingPower(table string) consumer.Handler { return applying(table, BuyingPowerUpdate) }

// BuyingPowerUpdate is the write that applies t to the account's cash.
func BuyingPowerUpdate(table, account string, t Trade) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(table),
		Key:                       map[string]types.AttributeValue{"account": &types.AttributeValueMemberS{Value: account}},
		UpdateExpression:          aws.String("ADD cash :cash"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":cash": &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Cash(), 10)}},
	}}
}

// applying is the handler that applies each execution's trade with the
// write update makes, in the transaction that records it applied.
func applying(table string, update func(table, account string, t Trade) types.TransactWriteItem) consumer.Handler {
	return func(ctx context.Context, e consumer.Execution) error {
		t, err := Parse(e.Body)
		if err != nil {
			return fmt.Errorf("execution %s: %w", e.ID, err)
		}
		consumer.Write(ctx, update(table, e.Account, t))
		return nil
	}
}
