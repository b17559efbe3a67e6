package lambdaio

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cja-sdr/cja-sdr/internal/cache"
	"github.com/cja-sdr/cja-sdr/internal/pipeline"
)

// stopTTL is how long a run's stop mark is kept: far longer than any run.
const stopTTL = 7 * 24 * time.Hour

// dynamoStops keeps pipeline.RunStops marks in the cache table, whose
// string keys pk/sk and TTL attribute it shares: one item per stopped run.
type dynamoStops struct {
	client *dynamodb.Client
	table  string
	now    func() time.Time
}

var _ pipeline.RunStops = dynamoStops{}

func (d dynamoStops) key(runID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "run#" + runID},
		"sk": &types.AttributeValueMemberS{Value: "stopped"},
	}
}

func (d dynamoStops) Stop(ctx context.Context, runID string) error {
	item := d.key(runID)
	item[cache.TTLAttribute] = &types.AttributeValueMemberN{Value: strconv.FormatInt(d.now().Add(stopTTL).Unix(), 10)}
	_, err := d.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(d.table), Item: item})
	return err
}

func (d dynamoStops) Stopped(ctx context.Context, runID string) (bool, error) {
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(d.table), Key: d.key(runID),
		// A failure a moment ago must be seen by the next data view.
		ConsistentRead: aws.Bool(true),
	})
	if err != nil || out.Item == nil {
		return false, err
	}
	// DynamoDB deletes expired items late; an expired mark is no mark.
	if n, ok := out.Item[cache.TTLAttribute].(*types.AttributeValueMemberN); ok {
		if exp, err := strconv.ParseInt(n.Value, 10, 64); err == nil && exp <= d.now().Unix() {
			return false, nil
		}
	}
	return true, nil
}
