package main

import (
	"testing"

	"github.com/brokerage/platform/examples/internal/nagtest"
)

func TestSynthesizesCleanly(t *testing.T) { nagtest.Check(t, build) }
