// Command buying-power is the reference buying-power consumer's Lambda
// (trade.BuyingPower): each trade execution changes the account's cash, in
// the table BUYING_POWER_TABLE names, once, in the account's sequence.
package main

import (
	"github.com/brokerage/platform/lambda/consumer"
	"github.com/brokerage/platform/lambda/consumer/trade"
)

func main() {
	consumer.Start(trade.BuyingPower(consumer.TableName("BUYING_POWER_TABLE")), consumer.Options{})
}
