package lambdaio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/config"
	"github.com/cja-sdr/cja-sdr/internal/pipeline"
	"github.com/cja-sdr/cja-sdr/internal/secrets"
)

// ratePer is the window of Adobe's rate limit: 12 requests per 6 seconds.
const ratePer = 6 * time.Second

// cjaClients hands out API clients built from the Secrets Manager
// credentials. A container keeps its clients, and so its IMS token, between
// invocations; secrets.Load caches the secret itself.
type cjaClients struct {
	sm        *secretsmanager.Client
	secretID  string
	rateLimit int // RATE_LIMIT; 0 means the credentials' own
	apiURL    string
	imsURL    string
	log       *slog.Logger
	tune      func(*cja.Config) // WithCJAConfig; nil when deployed

	mu      sync.Mutex
	clients map[clientKey]*cja.Client
}

// clientKey includes the credentials so a rotated secret gets a new client.
type clientKey struct {
	share share
	creds config.Credentials
}

// share is one worker's part of the rate limit: limit requests per per.
type share struct {
	limit int
	per   time.Duration
}

func newCJAClients(e *env, sm *secretsmanager.Client, log *slog.Logger, tune func(*cja.Config)) *cjaClients {
	return &cjaClients{
		sm:        sm,
		secretID:  e.required(pipeline.EnvSecretID),
		rateLimit: e.integer(pipeline.EnvRateLimit, 0, 1, 100000),
		apiURL:    e.value(pipeline.EnvCJAAPIURL),
		imsURL:    e.value(pipeline.EnvCJAIMSURL),
		log:       log,
		tune:      tune,
		clients:   map[clientKey]*cja.Client{},
	}
}

// fetcher is pipeline.Generator's Fetcher.
func (c *cjaClients) fetcher(ctx context.Context, workers int) (cja.Fetcher, error) {
	return c.get(ctx, workers)
}

// get returns the client for one of workers concurrent generators.
func (c *cjaClients) get(ctx context.Context, workers int) (*cja.Client, error) {
	creds, err := secrets.Load(ctx, c.sm, c.secretID)
	if err != nil {
		return nil, secretError(err)
	}
	if c.apiURL != "" {
		creds.CJAURL = c.apiURL
	}
	if c.imsURL != "" {
		creds.IMSURL = c.imsURL
	}
	limit := c.rateLimit
	if limit <= 0 {
		limit = creds.RateLimit
	}
	sh := workerShare(limit, workers)

	c.mu.Lock()
	defer c.mu.Unlock()
	key := clientKey{sh, creds}
	if cl, ok := c.clients[key]; ok {
		return cl, nil
	}
	cfg := cja.Config{
		OrgID: creds.OrgID, ClientID: creds.ClientID, Secret: creds.Secret, Scopes: creds.Scopes,
		IMSURL: creds.IMSURL, CJAURL: creds.CJAURL,
		RateLimit: sh.limit, RatePer: sh.per,
		Logger: c.log,
	}
	if c.tune != nil {
		c.tune(&cfg)
	}
	cl, err := cja.New(cfg)
	if err != nil {
		return nil, &pipeline.ConfigError{Msg: fmt.Sprintf("credentials in secret %s: %v", c.secretID, err)}
	}
	c.clients[key] = cl
	return cl, nil
}

// workerShare splits the credential's limit between the run's workers, each
// a separate Lambda that cannot see the others' requests. With no more
// workers than the limit, the shares add up to at most the limit in any
// window, so the fan-out does not trip 429s; beyond that, each worker gets
// one request per several windows, the same average, and the client's 429
// backoff absorbs the bursts.
func workerShare(limit, workers int) share {
	if limit <= 0 {
		limit = config.DefaultRateLimit
	}
	workers = max(workers, 1)
	if workers <= limit {
		return share{limit: limit / workers, per: ratePer}
	}
	windows := (workers + limit - 1) / limit
	return share{limit: 1, per: time.Duration(windows) * ratePer}
}

// secretError tells a deployment problem (no such secret, no permission,
// unusable content) from an outage worth retrying.
func secretError(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ResourceNotFoundException", "AccessDeniedException", "DecryptionFailure", "InvalidRequestException":
			return &pipeline.ConfigError{Msg: err.Error()}
		}
		return &pipeline.TransientError{Msg: err.Error()}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &pipeline.DeadlineError{Msg: err.Error()}
	}
	if _, ok := errors.AsType[*smithy.OperationError](err); ok {
		// The call failed without an answer: network, throttled SDK retries.
		return &pipeline.TransientError{Msg: err.Error()}
	}
	// Not an AWS error: the secret's content was rejected.
	return &pipeline.ConfigError{Msg: err.Error()}
}
