package awstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// TTLAttribute is the Number attribute NewTable enables TTL on. It matches
// cache.TTLAttribute (not imported: the cache tests import this package).
const TTLAttribute = "expiresAt"

// AWSConfig is an SDK configuration for moto: static credentials, Region and
// the server as the endpoint of every service.
func (m *MotoServer) AWSConfig() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(m.Endpoint),
	}
}

// S3 returns an S3 client for moto, path-style because moto's host-style
// addressing would need DNS for bucket.127.0.0.1.
func (m *MotoServer) S3(t testing.TB) *s3.Client {
	t.Helper()
	return s3.NewFromConfig(m.AWSConfig(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(m.Endpoint)
		o.UsePathStyle = true
	})
}

// DynamoDB returns a DynamoDB client for moto.
func (m *MotoServer) DynamoDB(t testing.TB) *dynamodb.Client {
	t.Helper()
	return dynamodb.NewFromConfig(m.AWSConfig(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(m.Endpoint)
	})
}

// SecretsManager returns a Secrets Manager client for moto.
func (m *MotoServer) SecretsManager(t testing.TB) *secretsmanager.Client {
	t.Helper()
	return secretsmanager.NewFromConfig(m.AWSConfig(), func(o *secretsmanager.Options) {
		o.BaseEndpoint = aws.String(m.Endpoint)
	})
}

// SFN returns a Step Functions client for moto.
func (m *MotoServer) SFN(t testing.TB) *sfn.Client {
	t.Helper()
	return sfn.NewFromConfig(m.AWSConfig(), func(o *sfn.Options) {
		o.BaseEndpoint = aws.String(m.Endpoint)
	})
}

// NewBucket creates an empty bucket with a name no other test uses. Buckets
// are not deleted: moto keeps them in memory and dies with the test binary.
func (m *MotoServer) NewBucket(t testing.TB) string {
	t.Helper()
	name := uniqueName("awstest-")
	if _, err := m.S3(t).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

// NewTable creates a table shaped like the project's: string keys pk (hash)
// and sk (range), on-demand billing, TTL on TTLAttribute.
func (m *MotoServer) NewTable(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	db := m.DynamoDB(t)
	name := uniqueName("awstest-")
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange},
		},
	})
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{
			AttributeName: aws.String(TTLAttribute),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		t.Fatalf("enable TTL on table %s: %v", name, err)
	}
	return name
}

var counter atomic.Int64

// uniqueName is lowercase and short enough for a bucket name; the random part
// keeps names distinct even across test binaries sharing one server.
func uniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b) + "-" + strconv.FormatInt(counter.Add(1), 10)
}
