// Command buying-power is the reference buying-power consumer's Lambda
// (trade.BuyingPower): each trade execution changes the account's cash, in
// the table BUYING_POWER_TABLE names, once, in the account's sequence.
package main

import (
	"fmt"
	"os"

	"github.com/brokerage/platform/lambda/consumer"
	"github.com/brokerage/platform/lambda/consumer/trade"
)

func main() {
	table := os.Getenv("BUYING_POWER_TABLE")
	if table == "" {
		fmt.Fprintln(os.Stderr, "buying-power: BUYING_POWER_TABLE must name the table the executions apply to")
		os.Exit(1)
	}
	consumer.Start(trade.BuyingPower(table), consumer.Options{})
}
