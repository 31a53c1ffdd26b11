// Package trade holds the platform's reference consumers (Holdings,
// BuyingPower; their Lambdas are lambda/holdings and lambda/buying-power)
// and reads what they need of a trade execution's body: the fields
// docs/broker-contract.md names beside executionId and sequence.
package trade

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Trade is one execution's effect on an account.
type Trade struct {
	// Symbol is the instrument traded.
	Symbol string `json:"symbol"`
	// Side is "buy" or "sell".
	Side string `json:"side"`
	// Quantity is the number of units traded, a whole number from 1.
	Quantity int64 `json:"quantity"`
	// Amount is the execution's gross value in the minor unit of the
	// account's currency (cents, pence, centavos), a whole number from 1.
	Amount int64 `json:"amount"`
}

// Parse reads a trade from an execution's body; its error names every
// field that is missing or wrong, never the body.
func Parse(body []byte) (Trade, error) {
	var t Trade
	if err := json.Unmarshal(body, &t); err != nil {
		return Trade{}, fmt.Errorf("the body is not a trade execution: %s", jsonError(err))
	}
	var bad []string
	if strings.TrimSpace(t.Symbol) == "" {
		bad = append(bad, "symbol: want a non-empty string")
	}
	if t.Side != "buy" && t.Side != "sell" {
		bad = append(bad, `side: want "buy" or "sell"`)
	}
	if t.Quantity < 1 {
		bad = append(bad, "quantity: want a whole number from 1")
	}
	if t.Amount < 1 {
		bad = append(bad, "amount: want a whole number of minor units from 1")
	}
	if len(bad) > 0 {
		return Trade{}, fmt.Errorf("the trade execution's %s", strings.Join(bad, "; "))
	}
	return t, nil
}

// jsonError says what was wrong without quoting the body.
func jsonError(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Sprintf("%s: want a %s", te.Field, te.Type)
	}
	return "not a JSON object"
}

// Units is the change to the account's position in Symbol: the quantity,
// negative for a sale.
func (t Trade) Units() int64 {
	if t.Side == "sell" {
		return -t.Quantity
	}
	return t.Quantity
}

// Cash is the change to the account's cash, in minor units: the amount,
// negative for a purchase.
func (t Trade) Cash() int64 {
	if t.Side == "buy" {
		return -t.Amount
	}
	return t.Amount
}
