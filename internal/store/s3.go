package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3API is the part of *s3.Client the S3 store uses.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	s3.ListObjectsV2APIClient
}

// S3 stores objects in a bucket under a key prefix.
type S3 struct {
	client S3API
	bucket string
	prefix string // "" or ending in "/"
}

var _ Store = (*S3)(nil)

// NewS3 returns a store for bucket whose keys all live under prefix (for
// example "sdr/2025/01/31/run-1"; surrounding slashes are ignored). The
// prefix is trusted configuration, not checked like keys.
func NewS3(client S3API, bucket, prefix string) *S3 {
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &S3{client: client, bucket: bucket, prefix: prefix}
}

func (s *S3) uri(key string) string { return "s3://" + s.bucket + "/" + s.prefix + key }

// Put buffers the whole object and uploads it in one PutObject, which is
// atomic: a failed write uploads nothing. The body is a bytes.Reader because
// the SDK must hash the payload to sign a request over plain HTTP (moto, a
// local endpoint) and refuses a body it cannot seek back to the start. SDR
// files are megabytes at most, so buffering is cheap.
func (s *S3) Put(ctx context.Context, key string, write func(w io.Writer) error) (Object, error) {
	if err := CheckKey(key); err != nil {
		return Object{}, err
	}
	var buf bytes.Buffer
	if err := runWrite(ctx, &buf, write); err != nil {
		return Object{}, fmt.Errorf("write %s: %w", s.uri(key), err)
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(s.prefix + key),
		Body:          bytes.NewReader(buf.Bytes()),
		ContentLength: aws.Int64(int64(buf.Len())),
	}
	// A content type lets a browser open an HTML or JSON SDR straight from
	// the console or a presigned URL.
	if ct := mime.TypeByExtension(path.Ext(key)); ct != "" {
		in.ContentType = aws.String(ct)
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return Object{}, fmt.Errorf("upload %s: %w", s.uri(key), err)
	}
	return Object{Key: key, Path: s.uri(key), Size: int64(buf.Len())}, nil
}

// Get downloads an object; ErrNotExist if it is missing.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.prefix + key),
	})
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("%w: %s", ErrNotExist, s.uri(key))
		}
		return nil, fmt.Errorf("download %s: %w", s.uri(key), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", s.uri(key), err)
	}
	return b, nil
}

// isNotFound recognises a missing key. GetObject normally says NoSuchKey, but
// without s3:ListBucket permission S3 answers 403, and some S3-compatible
// services send a bare 404 "NotFound".
func isNotFound(err error) bool {
	if _, ok := errors.AsType[*types.NoSuchKey](err); ok {
		return true
	}
	if ae, ok := errors.AsType[smithy.APIError](err); ok {
		return ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound"
	}
	return false
}

// List returns the keys under prefix (relative to the store's prefix),
// sorted, following every page of ListObjectsV2.
func (s *S3) List(ctx context.Context, prefix string) ([]string, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(s.prefix + prefix),
	})
	var keys []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", s.uri(prefix), err)
		}
		for _, o := range page.Contents {
			keys = append(keys, strings.TrimPrefix(aws.ToString(o.Key), s.prefix))
		}
	}
	// S3 already sorts by UTF-8 bytes; sorting again keeps the contract
	// independent of the service (and of moto).
	slices.Sort(keys)
	return keys, nil
}

// Delete removes an object; S3 treats a missing key as success already.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.prefix + key),
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", s.uri(key), err)
	}
	return nil
}
