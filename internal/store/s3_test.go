package store

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cja-sdr/cja-sdr/internal/awstest"
)

func TestS3(t *testing.T) {
	m := awstest.Moto(t)
	testStore(t, NewS3(m.S3(t), m.NewBucket(t), "sdr/2025/01/31/run-1/"))
}

func TestS3NoPrefix(t *testing.T) {
	m := awstest.Moto(t)
	testStore(t, NewS3(m.S3(t), m.NewBucket(t), ""))
}

func TestS3PathsAndPrefix(t *testing.T) {
	m := awstest.Moto(t)
	client := m.S3(t)
	bucket := m.NewBucket(t)
	s := NewS3(client, bucket, "/out/run-1/")
	ctx := t.Context()
	obj, err := s.Put(ctx, "a/report.html", func(w io.Writer) error {
		_, err := io.WriteString(w, "<html></html>")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "s3://" + bucket + "/out/run-1/a/report.html"; obj.Path != want {
		t.Errorf("Path = %q, want %q", obj.Path, want)
	}
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("out/run-1/a/report.html")})
	if err != nil {
		t.Fatal(err)
	}
	if ct := aws.ToString(head.ContentType); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("ContentType = %q", ct)
	}

	// Keys outside the prefix are invisible to List.
	client.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("elsewhere.txt"), Body: strings.NewReader("")})
	if keys, err := s.List(ctx, ""); err != nil || len(keys) != 1 || keys[0] != "a/report.html" {
		t.Errorf("List = %q, %v", keys, err)
	}
}

func TestS3ListPaginates(t *testing.T) {
	m := awstest.Moto(t)
	s := NewS3(pageOf2{m.S3(t)}, m.NewBucket(t), "p")
	for _, k := range []string{"e", "d", "c", "b", "a"} {
		if _, err := s.Put(t.Context(), k, func(w io.Writer) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := s.List(t.Context(), "")
	if err != nil || strings.Join(keys, "") != "abcde" {
		t.Fatalf("List = %q, %v", keys, err)
	}
}

// pageOf2 forces tiny pages so List must follow continuation tokens.
type pageOf2 struct{ *s3.Client }

func (p pageOf2) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	in.MaxKeys = aws.Int32(2)
	return p.Client.ListObjectsV2(ctx, in, opts...)
}

func TestS3MissingBucket(t *testing.T) {
	m := awstest.Moto(t)
	s := NewS3(m.S3(t), "no-such-bucket-for-store-test", "")
	_, err := s.Get(t.Context(), "a")
	if err == nil || errors.Is(err, ErrNotExist) {
		t.Fatalf("Get from a missing bucket = %v, want an error other than ErrNotExist", err)
	}
}
