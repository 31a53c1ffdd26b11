package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/brokerage/platform/lambda/consumer"
	"github.com/brokerage/platform/lambda/consumer/trade"
)

// A purchase takes its amount from the account's cash.
func TestAPurchaseReducesTheCash(t *testing.T) {
	u := update("buying-power", "acct-1", trade.Trade{Symbol: "BHP", Side: "buy", Quantity: 1, Amount: 4512}).Update
	if *u.TableName != "buying-power" || *u.UpdateExpression != "ADD cash :cash" {
		t.Errorf("update %s on %s", *u.UpdateExpression, *u.TableName)
	}
	if k := u.Key; len(k) != 1 || k["account"].(*types.AttributeValueMemberS).Value != "acct-1" {
		t.Errorf("key %v", k)
	}
	if v := u.ExpressionAttributeValues[":cash"].(*types.AttributeValueMemberN).Value; v != "-4512" {
		t.Errorf("cash %s, want -4512", v)
	}
}

// An execution that is not a trade is not applied: its account is held.
func TestAMalformedExecutionIsNotApplied(t *testing.T) {
	err := apply("buying-power")(context.Background(), consumer.Execution{ID: "e-1", Body: []byte(`{"side":"buy"}`)})
	if err == nil || !strings.Contains(err.Error(), "e-1") || !strings.Contains(err.Error(), "amount") {
		t.Errorf("malformed: %v", err)
	}
}
