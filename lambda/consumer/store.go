package consumer

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Claim's refusals.
var (
	// ErrApplied: the execution was applied; skip it.
	ErrApplied = errors.New("execution already applied")
	// ErrInProgress: another delivery holds the execution's claim; retry later.
	ErrInProgress = errors.New("execution being applied by another delivery")
)

// AccountState is what a Store knows of an account.
type AccountState struct {
	// Last is the sequence of its last applied execution (0: none yet).
	Last int64
	// GapSince is when a gap after Last was first held; zero when none is.
	GapSince time.Time
}

// Store records what was applied: a claim per execution id and the last
// applied sequence per account. DynamoStore is the one the platform runs.
type Store interface {
	// Account reads the account's state, strongly consistent.
	Account(ctx context.Context, account string) (AccountState, error)
	// HoldGap records that the account waits for a missing sequence, from
	// now unless it already did, and returns since when.
	HoldGap(ctx context.Context, account string, now time.Time) (time.Time, error)
	// Claim takes the execution for this delivery until leaseUntil, unless
	// it was applied (ErrApplied) or another delivery's lease has not
	// expired at now (ErrInProgress).
	Claim(ctx context.Context, id string, now, leaseUntil time.Time) error
	// Release gives the claim up: the execution was not applied.
	Release(ctx context.Context, id string) error
	// Commit records, in one transaction with writes, that the claimed
	// execution was applied (kept until expires) and that it is now the
	// account's last applied sequence, seq, which must follow the one the
	// store holds; it clears the account's gap.
	Commit(ctx context.Context, id, account string, seq int64, expires time.Time, writes []types.TransactWriteItem) error
}
