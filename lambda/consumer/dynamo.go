package consumer

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoAPI is the part of the DynamoDB client a DynamoStore calls.
type DynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// DynamoStore keeps the claims in the idempotency table (key "id";
// "status" IN_PROGRESS or COMPLETED, "leaseUntil" in Unix milliseconds,
// "expiresAt" in Unix seconds, the table's TTL attribute) and the
// accounts in the sequence table (key "account"; "last", "gapSince" in
// Unix seconds).
type DynamoStore struct {
	db                              DynamoAPI
	idempotencyTable, sequenceTable string
}

// NewDynamoStore is a Store on the two tables.
func NewDynamoStore(db DynamoAPI, idempotencyTable, sequenceTable string) *DynamoStore {
	return &DynamoStore{db: db, idempotencyTable: idempotencyTable, sequenceTable: sequenceTable}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func numberOf(item map[string]types.AttributeValue, name string) int64 {
	if v, ok := item[name].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}

// Account implements Store.
func (s *DynamoStore) Account(ctx context.Context, account string) (AccountState, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.sequenceTable, Key: map[string]types.AttributeValue{"account": str(account)}, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return AccountState{}, err
	}
	st := AccountState{Last: numberOf(out.Item, "last")}
	if since := numberOf(out.Item, "gapSince"); since > 0 {
		st.GapSince = time.Unix(since, 0)
	}
	return st, nil
}

// HoldGap implements Store.
func (s *DynamoStore) HoldGap(ctx context.Context, account string, now time.Time) (time.Time, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.sequenceTable, Key: map[string]types.AttributeValue{"account": str(account)},
		UpdateExpression:          aws.String("SET gapSince = if_not_exists(gapSince, :now)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(now.Unix())},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(numberOf(out.Attributes, "gapSince"), 0), nil
}

// Claim implements Store: a conditional put that succeeds when no record
// exists or the record is a claim whose lease has expired.
func (s *DynamoStore) Claim(ctx context.Context, id string, now, leaseUntil time.Time) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.idempotencyTable,
		Item: map[string]types.AttributeValue{
			"id": str(id), "status": str("IN_PROGRESS"), "leaseUntil": num(leaseUntil.UnixMilli()),
			// A claim left behind expires like a record, after the lease.
			"expiresAt": num(leaseUntil.Add(time.Hour).Unix()),
		},
		ConditionExpression:                 aws.String("attribute_not_exists(id) OR (#status = :inProgress AND leaseUntil < :now)"),
		ExpressionAttributeNames:            map[string]string{"#status": "status"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":inProgress": str("IN_PROGRESS"), ":now": num(now.UnixMilli())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if failed, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		if v, ok := failed.Item["status"].(*types.AttributeValueMemberS); ok && v.Value == "COMPLETED" {
			return ErrApplied
		}
		return ErrInProgress
	}
	return err
}

// Release implements Store.
func (s *DynamoStore) Release(ctx context.Context, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.idempotencyTable, Key: map[string]types.AttributeValue{"id": str(id)},
		ConditionExpression:       aws.String("#status = :inProgress"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":inProgress": str("IN_PROGRESS")},
	})
	return err
}

// Commit implements Store: one TransactWriteItems call with the claim's
// completion, the account's sequence (conditional on the one before) and
// writes.
func (s *DynamoStore) Commit(ctx context.Context, id, account string, seq int64, expires time.Time, writes []types.TransactWriteItem) error {
	follows := aws.String("attribute_not_exists(#last)")
	values := map[string]types.AttributeValue{":seq": num(seq)}
	if seq > 1 {
		follows = aws.String("#last = :prev")
		values[":prev"] = num(seq - 1)
	}
	items := append([]types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.idempotencyTable, Key: map[string]types.AttributeValue{"id": str(id)},
			UpdateExpression:          aws.String("SET #status = :completed, expiresAt = :expires REMOVE leaseUntil"),
			ConditionExpression:       aws.String("#status = :inProgress"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":completed": str("COMPLETED"), ":inProgress": str("IN_PROGRESS"), ":expires": num(expires.Unix())},
		}},
		{Update: &types.Update{
			TableName: &s.sequenceTable, Key: map[string]types.AttributeValue{"account": str(account)},
			UpdateExpression:          aws.String("SET #last = :seq REMOVE gapSince"),
			ConditionExpression:       follows,
			ExpressionAttributeNames:  map[string]string{"#last": "last"},
			ExpressionAttributeValues: values,
		}},
	}, writes...)
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return err
}
