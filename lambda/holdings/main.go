// Command holdings is the reference holdings consumer's Lambda
// (trade.Holdings): each trade execution changes the account's position in
// its symbol, in the table HOLDINGS_TABLE names, once, in the account's
// sequence.
package main

import (
	"fmt"
	"os"

	"github.com/brokerage/platform/lambda/consumer"
	"github.com/brokerage/platform/lambda/consumer/trade"
)

func main() {
	table := os.Getenv("HOLDINGS_TABLE")
	if table == "" {
		fmt.Fprintln(os.Stderr, "holdings: HOLDINGS_TABLE must name the table the executions apply to")
		os.Exit(1)
	}
	consumer.Start(trade.Holdings(table), consumer.Options{})
}
