package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/brokerage/platform/lambda/consumer"
	"github.com/brokerage/platform/lambda/consumer/trade"
)

// A sale takes its quantity from the account's position in the symbol.
func TestASaleReducesThePosition(t *testing.T) {
	u := update("holdings", "acct-1", trade.Trade{Symbol: "BHP", Side: "sell", Quantity: 40, Amount: 1}).Update
	if *u.TableName != "holdings" || *u.UpdateExpression != "ADD quantity :units" {
		t.Errorf("update %s on %s", *u.UpdateExpression, *u.TableName)
	}
	if k := u.Key; k["account"].(*types.AttributeValueMemberS).Value != "acct-1" || k["symbol"].(*types.AttributeValueMemberS).Value != "BHP" {
		t.Errorf("key %v", k)
	}
	if v := u.ExpressionAttributeValues[":units"].(*types.AttributeValueMemberN).Value; v != "-40" {
		t.Errorf("units %s, want -40", v)
	}
}

// An execution that is not a trade is not applied: its account is held.
func TestAMalformedExecutionIsNotApplied(t *testing.T) {
	err := apply("holdings")(context.Background(), consumer.Execution{ID: "e-1", Body: []byte(`{"symbol":"BHP"}`)})
	if err == nil || !strings.Contains(err.Error(), "e-1") || !strings.Contains(err.Error(), "side") {
		t.Errorf("malformed: %v", err)
	}
}
