package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// RequestsPrefix is where uploaded data view lists must go to start a run.
const RequestsPrefix = "requests/"

// ErrExecutionExists is what a Starter returns when an execution of that name
// already exists: the same upload has already started its run.
var ErrExecutionExists = errors.New("execution already exists")

// Starter starts a state machine execution. internal/lambdaio implements it
// over Step Functions, mapping ExecutionAlreadyExists to ErrExecutionExists.
type Starter interface {
	StartExecution(ctx context.Context, stateMachineARN, name, input string) error
}

// S3Event is the part of an S3 event notification the trigger reads.
type S3Event struct {
	Records []S3EventRecord `json:"Records"`
}

// S3EventRecord is one record of an S3 event notification.
type S3EventRecord struct {
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	S3          struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			// Key is URL-encoded in the event (a space arrives as "+").
			Key       string `json:"key"`
			VersionID string `json:"versionId"`
			Sequencer string `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

// TriggerOutput counts what the trigger did with an event's records.
type TriggerOutput struct {
	Started    []string `json:"started"`    // execution names started
	Duplicates []string `json:"duplicates"` // already started by an earlier delivery
	Skipped    int      `json:"skipped"`    // records that are not requests/*.txt uploads
}

// Trigger starts one run per uploaded requests/*.txt. S3 delivers events at
// least once, so the execution name is derived from the upload itself and a
// redelivered event finds its run already started.
type Trigger struct {
	Starter         Starter
	StateMachineARN string
	Log             *slog.Logger
}

// Handle starts the runs of an S3 event's uploads. It fails (so Lambda
// retries the event) only if an execution could not be started.
func (t *Trigger) Handle(ctx context.Context, ev S3Event) (TriggerOutput, error) {
	log := logger(t.Log)
	out := TriggerOutput{Started: []string{}, Duplicates: []string{}}
	for _, r := range ev.Records {
		src, ok, err := uploadOf(r)
		if err != nil {
			return out, &InputError{Msg: err.Error()}
		}
		if !ok {
			out.Skipped++
			log.Info("ignoring S3 event record", "event", r.EventName, "bucket", r.S3.Bucket.Name, "key", r.S3.Object.Key)
			continue
		}
		name := ExecutionName(src.Bucket, src.Key, versionOrSequencer(r))
		input, err := json.Marshal(map[string]Source{"source": src})
		if err != nil {
			return out, err
		}
		switch err := t.Starter.StartExecution(ctx, t.StateMachineARN, name, string(input)); {
		case errors.Is(err, ErrExecutionExists):
			log.Info("run already started for this upload", "execution", name, "source", src.URI())
			out.Duplicates = append(out.Duplicates, name)
		case err != nil:
			return out, &TransientError{Msg: fmt.Sprintf("start a run for %s: %v", src.URI(), err)}
		default:
			log.Info("run started", "execution", name, "source", src.URI())
			out.Started = append(out.Started, name)
		}
	}
	return out, nil
}

// uploadOf returns the upload a record announces, or ok=false for a record
// that should not start a run (another event, another prefix or suffix).
func uploadOf(r S3EventRecord) (src Source, ok bool, err error) {
	if r.EventSource != "" && r.EventSource != "aws:s3" {
		return src, false, nil
	}
	if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
		return src, false, nil
	}
	key, err := url.QueryUnescape(r.S3.Object.Key)
	if err != nil {
		return src, false, fmt.Errorf("S3 event key %q is not URL-encoded: %v", r.S3.Object.Key, err)
	}
	if !strings.HasPrefix(key, RequestsPrefix) || !strings.HasSuffix(key, ".txt") {
		return src, false, nil
	}
	if r.S3.Bucket.Name == "" {
		return src, false, errors.New("S3 event record has no bucket name")
	}
	return Source{Bucket: r.S3.Bucket.Name, Key: key, VersionID: r.S3.Object.VersionID}, true, nil
}

// versionOrSequencer identifies one upload of a key: the version id in a
// versioned bucket, else the sequencer, which S3 makes unique per write.
func versionOrSequencer(r S3EventRecord) string {
	if v := r.S3.Object.VersionID; v != "" && v != "null" {
		return "v:" + v
	}
	return "s:" + r.S3.Object.Sequencer
}

var nameUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// ExecutionName is the execution (and run) name for one upload: a readable
// part from the file name and a hash of bucket, key and upload id, so the
// same upload always maps to the same name and different uploads never do.
// It fits Step Functions' rules: at most 80 of [A-Za-z0-9_-].
func ExecutionName(bucket, key, upload string) string {
	sum := sha256.Sum256([]byte(bucket + "\x00" + key + "\x00" + upload))
	base := strings.TrimSuffix(path.Base(key), path.Ext(key))
	base = strings.Trim(nameUnsafe.ReplaceAllString(base, "-"), "-")
	if len(base) > 32 {
		base = base[:32]
	}
	if base == "" {
		base = "upload"
	}
	return base + "-" + hex.EncodeToString(sum[:])[:40]
}
