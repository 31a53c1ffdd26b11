// Package stackof finds the stack of a construct's scope without a round
// trip to the jsii kernel when the scope is the stack itself, as it is for
// the platform's top-level constructs.
package stackof

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
)

// Scope is the stack scope belongs to: scope itself when it is a stack,
// else awscdk.Stack_Of(scope) (one round trip).
func Scope(scope constructs.IConstruct) awscdk.Stack {
	if s, ok := scope.(awscdk.Stack); ok {
		return s
	}
	return awscdk.Stack_Of(scope)
}
