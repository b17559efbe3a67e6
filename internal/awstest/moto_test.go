package awstest

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestMotoClients(t *testing.T) {
	m := Moto(t)
	if Moto(t) != m {
		t.Fatal("second Moto call started another server")
	}
	ctx := t.Context()

	bucket := m.NewBucket(t)
	if other := m.NewBucket(t); other == bucket {
		t.Fatalf("NewBucket returned %s twice", bucket)
	}
	body := []byte("hello")
	if _, err := m.S3(t).PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("a/b.txt"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	out, err := m.S3(t).GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("a/b.txt")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, body) {
		t.Fatalf("got %q, want %q", got, body)
	}

	table := m.NewTable(t)
	ttl, err := m.DynamoDB(t).DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &table})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != TTLAttribute || d.TimeToLiveStatus != "ENABLED" {
		t.Fatalf("TTL not enabled on %s: %+v", TTLAttribute, d)
	}

	if _, err := m.SecretsManager(t).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(uniqueName("s-")), SecretString: aws.String("{}")}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.SFN(t).ListStateMachines(ctx, &sfn.ListStateMachinesInput{}); err != nil {
		t.Fatal(err)
	}
}

func TestShutdownIdempotent(t *testing.T) {
	// Shutdown of the shared server would break other tests in this binary;
	// what must hold is that a stopped server's kill is a no-op the second time.
	s := &MotoServer{exited: make(chan struct{})}
	close(s.exited)
	s.cmd = exec.Command("true")
	s.kill()
	s.kill()
}

func TestMissingBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := start()
	if err == nil || err.Error() != "moto_server not found: pip install 'moto[server]'" {
		t.Fatalf("err = %v", err)
	}
}
