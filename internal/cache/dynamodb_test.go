package cache

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cja-sdr/cja-sdr/internal/awstest"
	"github.com/cja-sdr/cja-sdr/internal/quality"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

func TestTTLAttributeMatchesTestTables(t *testing.T) {
	if TTLAttribute != awstest.TTLAttribute {
		t.Fatalf("cache.TTLAttribute %q != awstest.TTLAttribute %q", TTLAttribute, awstest.TTLAttribute)
	}
}

func TestDynamoDB(t *testing.T) {
	m := awstest.Moto(t)
	db := m.DynamoDB(t)
	table := m.NewTable(t)
	clk := newClock()
	c := NewDynamoDB(db, table, time.Hour, clk.Now)
	ctx := t.Context()

	if has(t, c, "k") {
		t.Fatal("hit on an empty table")
	}
	if err := c.Put(ctx, "k", issues("a")); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(ctx, "none", nil); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.Get(ctx, "k")
	if err != nil || !ok || len(got) != 1 || got[0] != issues("a")[0] {
		t.Fatalf("Get = %v, %v, %v", got, ok, err)
	}
	if got, ok, _ := c.Get(ctx, "none"); !ok || len(got) != 0 {
		t.Fatalf("Get(none) = %v, %v", got, ok)
	}

	// The item has the documented shape.
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "validation#k"},
		"sk": &types.AttributeValueMemberS{Value: "v" + quality.Version},
	}})
	if err != nil || out.Item == nil {
		t.Fatalf("raw GetItem: %v, %v", out, err)
	}
	exp := out.Item[TTLAttribute].(*types.AttributeValueMemberN).Value
	if want := strconv.FormatInt(clk.Now().Add(time.Hour).Unix(), 10); exp != want {
		t.Errorf("%s = %s, want %s", TTLAttribute, exp, want)
	}
	if s := out.Item["issues"].(*types.AttributeValueMemberS).Value; !strings.HasPrefix(s, `[{"severity":"HIGH"`) {
		t.Errorf("issues = %s", s)
	}

	// Past its expiry the item is still in the table (DynamoDB deletes
	// lazily) but must read as a miss.
	clk.Advance(time.Hour)
	if has(t, c, "k") {
		t.Error("an expired item was returned")
	}
	if s := c.Stats(); s.Hits != 2 || s.Misses != 2 {
		t.Errorf("Stats = %+v, want 2 hits 2 misses", s)
	}
}

func TestDynamoDBIgnoresExpiredItemWrittenElsewhere(t *testing.T) {
	m := awstest.Moto(t)
	db := m.DynamoDB(t)
	table := m.NewTable(t)
	ctx := t.Context()
	key := "stale"
	item := itemKey(key)
	item["issues"] = &types.AttributeValueMemberS{Value: "[]"}
	item[TTLAttribute] = &types.AttributeValueMemberN{Value: strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
		t.Fatal(err)
	}
	if has(t, NewDynamoDB(db, table, time.Hour, nil), key) {
		t.Error("an item whose expiresAt has passed was returned")
	}
}

func TestDynamoDBTooLarge(t *testing.T) {
	m := awstest.Moto(t)
	c := NewDynamoDB(m.DynamoDB(t), m.NewTable(t), time.Hour, nil)
	big := make([]quality.Issue, 3000)
	for i := range big {
		big[i] = issues(strings.Repeat("x", 200))[0]
	}
	err := c.Put(t.Context(), "big", big)
	if err == nil || !strings.Contains(err.Error(), "400 KB") {
		t.Fatalf("Put of a huge result = %v", err)
	}
}

// stub is a Cache that fails on demand.
type stub struct {
	err   error
	calls int
}

func (s *stub) Get(context.Context, string) ([]quality.Issue, bool, error) {
	s.calls++
	return issues("x"), s.err == nil, s.err
}

func (s *stub) Put(context.Context, string, []quality.Issue) error { s.calls++; return s.err }

func TestTolerant(t *testing.T) {
	ctx := t.Context()
	var warns []error
	s := &stub{err: errors.New("down")}
	c := Tolerant(s, func(err error) { warns = append(warns, err) })
	for range 3 {
		if got, ok, err := c.Get(ctx, "k"); ok || err != nil || got != nil {
			t.Fatalf("Get = %v, %v, %v; want a plain miss", got, ok, err)
		}
		if err := c.Put(ctx, "k", nil); err != nil {
			t.Fatalf("Put = %v", err)
		}
	}
	if len(warns) != 1 || warns[0].Error() != "down" {
		t.Errorf("warnings = %v, want one", warns)
	}
	if s.calls != 6 {
		t.Errorf("backend called %d times, want 6", s.calls)
	}
	s.err = nil
	if _, ok, _ := c.Get(ctx, "k"); !ok {
		t.Error("a recovered backend is not used again")
	}

	// A cancelled caller's failures are not the cache's: no warning.
	warns = nil
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	Tolerant(&stub{err: context.Canceled}, func(err error) { warns = append(warns, err) }).Get(cctx, "k")
	if len(warns) != 0 {
		t.Errorf("warned on cancellation: %v", warns)
	}
	Tolerant(&stub{err: errors.New("x")}, nil).Get(ctx, "k") // nil warn is allowed
}

func TestTolerantDeadDynamoDB(t *testing.T) {
	// A port nothing listens on: every request is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + l.Addr().String()
	l.Close()
	db := dynamodb.New(dynamodb.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
	})

	var warns []error
	c := Tolerant(NewDynamoDB(db, "t", time.Hour, nil), func(err error) { warns = append(warns, err) })
	ctx := t.Context()
	if _, ok, err := c.Get(ctx, "k"); ok || err != nil {
		t.Fatalf("Get = %v, %v", ok, err)
	}
	if err := c.Put(ctx, "k", nil); err != nil {
		t.Fatalf("Put = %v", err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0].Error(), "validation cache") {
		t.Errorf("warnings = %v", warns)
	}
}

func TestDisabled(t *testing.T) {
	var c Cache = Disabled{}
	c.Put(t.Context(), "k", issues("a"))
	if has(t, c, "k") {
		t.Error("Disabled hit")
	}
}
