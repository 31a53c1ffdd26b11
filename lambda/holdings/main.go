// Command holdings is the reference holdings consumer's Lambda
// (trade.Holdings): each trade execution changes the account's position in
// its symbol, in the table HOLDINGS_TABLE names, once, in the account's
// sequence.
package main

import (
	"os"

	"github.com/brokerage/platform/lambda/consumer"
	"github.com/brokerage/platform/lambda/consumer/trade"
)

func main() { consumer.Start(trade.Holdings(os.Getenv("HOLDINGS_TABLE")), consumer.Options{}) }
