package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cja-sdr/cja-sdr/internal/quality"
)

// TTLAttribute is the Number attribute (epoch seconds) DynamoDB's TTL deletes
// items by. The table's TimeToLiveSpecification in template.yaml must name it.
const TTLAttribute = "expiresAt"

// maxIssuesBytes keeps an item under DynamoDB's 400 KB item limit with room
// for the keys and attribute names.
const maxIssuesBytes = 390 << 10

// DynamoDBAPI is the part of *dynamodb.Client the cache uses.
type DynamoDBAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// DynamoDB caches validation results in a table with string keys pk and sk
// and TTL on TTLAttribute, shared by every generator Lambda.
type DynamoDB struct {
	client DynamoDBAPI
	table  string
	ttl    time.Duration
	now    func() time.Time
	hits   atomic.Int64
	misses atomic.Int64
}

var _ Cache = (*DynamoDB)(nil)

// NewDynamoDB returns a cache on table whose items live for ttl; now is the
// clock (nil means time.Now).
func NewDynamoDB(client DynamoDBAPI, table string, ttl time.Duration, now func() time.Time) *DynamoDB {
	if now == nil {
		now = time.Now
	}
	return &DynamoDB{client: client, table: table, ttl: ttl, now: now}
}

// itemKey puts the checks' version in the sort key as well as in the hash,
// so results of different versions can be told apart in the console.
func itemKey(key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "validation#" + key},
		"sk": &types.AttributeValueMemberS{Value: "v" + quality.Version},
	}
}

// Get reads the item for key. An item whose expiry has passed is a miss even
// if DynamoDB has not deleted it yet (it may take up to about two days).
func (d *DynamoDB) Get(ctx context.Context, key string) ([]quality.Issue, bool, error) {
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(d.table), Key: itemKey(key)})
	if err != nil {
		d.misses.Add(1)
		return nil, false, fmt.Errorf("read validation cache (table %s): %w", d.table, err)
	}
	issues, ok, err := d.decode(out.Item)
	if !ok {
		d.misses.Add(1)
		if err != nil {
			return nil, false, fmt.Errorf("read validation cache (table %s): %w", d.table, err)
		}
		return nil, false, nil
	}
	d.hits.Add(1)
	return issues, true, nil
}

func (d *DynamoDB) decode(item map[string]types.AttributeValue) ([]quality.Issue, bool, error) {
	if item == nil {
		return nil, false, nil
	}
	exp, ok := item[TTLAttribute].(*types.AttributeValueMemberN)
	if !ok {
		return nil, false, fmt.Errorf("item has no numeric %s", TTLAttribute)
	}
	secs, err := strconv.ParseInt(exp.Value, 10, 64)
	if err != nil {
		return nil, false, fmt.Errorf("item's %s is not whole seconds: %w", TTLAttribute, err)
	}
	if secs <= d.now().Unix() {
		return nil, false, nil
	}
	s, ok := item["issues"].(*types.AttributeValueMemberS)
	if !ok {
		return nil, false, fmt.Errorf("item has no string issues")
	}
	var issues []quality.Issue
	if err := json.Unmarshal([]byte(s.Value), &issues); err != nil {
		return nil, false, fmt.Errorf("item's issues are not valid JSON: %w", err)
	}
	return issues, true, nil
}

// Put writes the item for key, expiring ttl from now. Results too big for
// one DynamoDB item are refused with an error rather than truncated.
func (d *DynamoDB) Put(ctx context.Context, key string, issues []quality.Issue) error {
	if issues == nil {
		issues = []quality.Issue{} // "[]" reads better than "null" in the console
	}
	b, err := json.Marshal(issues)
	if err != nil {
		return fmt.Errorf("encode validation result: %w", err)
	}
	if len(b) > maxIssuesBytes {
		return fmt.Errorf("validation result of %d issues is %d KB, over DynamoDB's 400 KB item limit: not cached", len(issues), len(b)>>10)
	}
	item := itemKey(key)
	item["issues"] = &types.AttributeValueMemberS{Value: string(b)}
	item[TTLAttribute] = &types.AttributeValueMemberN{Value: strconv.FormatInt(d.now().Add(d.ttl).Unix(), 10)}
	if _, err := d.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(d.table), Item: item}); err != nil {
		return fmt.Errorf("write validation cache (table %s): %w", d.table, err)
	}
	return nil
}

// Stats returns the hits and misses so far (failed reads count as misses).
func (d *DynamoDB) Stats() Stats {
	return Stats{Hits: d.hits.Load(), Misses: d.misses.Load()}
}
