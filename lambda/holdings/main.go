// Command holdings is the reference holdings consumer's Lambda
// (trade.Holdings): each trade execution changes the account's position in
// its symbol, in the table HOLDINGS_TABLE names, once, in the account's
// sequence.
package main

import (
	"github.com/brokerage/platform/lambda/consumer"
	"github.com/brokerage/platform/lambda/consumer/trade"
)

func main() {
	consumer.Start(trade.Holdings(consumer.TableName("HOLDINGS_TABLE")), consumer.Options{})
}
