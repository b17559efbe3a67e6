package lambdaio

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/cja-sdr/cja-sdr/internal/pipeline"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

// s3Sources reads uploaded data view lists, at the exact version the upload
// event named when it has one (a later upload must not change a run).
type s3Sources struct{ c *s3.Client }

func (s s3Sources) Open(ctx context.Context, src pipeline.Source) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key)}
	if src.VersionID != "" && src.VersionID != "null" {
		in.VersionId = aws.String(src.VersionID)
	}
	out, err := s.c.GetObject(ctx, in)
	if err != nil {
		// A missing list is the caller's mistake, not an outage to retry.
		// Without s3:ListBucket (the planner has none), S3 answers a missing
		// key with AccessDenied rather than NoSuchKey.
		if ae, ok := errors.AsType[smithy.APIError](err); ok {
			switch ae.ErrorCode() {
			case "NoSuchKey", "NoSuchVersion", "NotFound", "AccessDenied":
				return nil, fmt.Errorf("%w or not readable: %v", store.ErrNotExist, err)
			}
		}
		return nil, err
	}
	return out.Body, nil
}

// sfnStarter starts executions, reporting an existing name as
// pipeline.ErrExecutionExists.
type sfnStarter struct{ c *sfn.Client }

func (s sfnStarter) StartExecution(ctx context.Context, arn, name, input string) error {
	_, err := s.c.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(arn),
		Name:            aws.String(name),
		Input:           aws.String(input),
	})
	if _, ok := errors.AsType[*sfntypes.ExecutionAlreadyExists](err); ok {
		return pipeline.ErrExecutionExists
	}
	return err
}
