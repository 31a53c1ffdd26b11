package trade

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	buy, err := Parse([]byte(`{"executionId":"e-1","sequence":1,"symbol":"BHP","side":"buy","quantity":100,"amount":4512000}`))
	if err != nil || buy.Units() != 100 || buy.Cash() != -4512000 {
		t.Errorf("buy: %+v %v, want +100 units and -4512000 cash", buy, err)
	}
	sell, err := Parse([]byte(`{"symbol":"VOD","side":"sell","quantity":7,"amount":511}`))
	if err != nil || sell.Units() != -7 || sell.Cash() != 511 {
		t.Errorf("sell: %+v %v, want -7 units and +511 cash", sell, err)
	}
}

// Every wrong field is named at once, and the body is never quoted.
func TestParseNamesEveryWrongField(t *testing.T) {
	_, err := Parse([]byte(`{"symbol":" ","side":"short","quantity":0,"amount":-5,"secret":"x-123"}`))
	for _, want := range []string{"symbol:", "side:", "quantity:", "amount:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
	_, err = Parse([]byte(`{"symbol":"x-123","quantity":"ten"}`))
	if err == nil || strings.Contains(err.Error(), "x-123") || !strings.Contains(err.Error(), "quantity") {
		t.Errorf("a mistyped field: %v, want the field named and the body not quoted", err)
	}
}
