package trade

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/brokerage/platform/lambda/consumer"
)

// A sale takes its quantity from the account's position in the symbol.
func TestASaleReducesThePosition(t *testing.T) {
	u := HoldingsUpdate("holdings", "acct-1", Trade{Symbol: "BHP", Side: "sell", Quantity: 40, Amount: 1}).Update
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

// A purchase takes its amount from the account's cash.
func TestAPurchaseReducesTheCash(t *testing.T) {
	u := BuyingPowerUpdate("buying-power", "acct-1", Trade{Symbol: "BHP", Side: "buy", Quantity: 1, Amount: 4512}).Update
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
	for name, handle := range map[string]consumer.Handler{"holdings": Holdings("h"), "buying power": BuyingPower("b")} {
		err := handle(context.Background(), consumer.Execution{ID: "e-1", Body: []byte(`{"symbol":"BHP"}`)})
		if err == nil || !strings.Contains(err.Error(), "e-1") || !strings.Contains(err.Error(), "side") {
			t.Errorf("%s, malformed: %v", name, err)
		}
	}
}
