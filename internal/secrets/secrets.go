// Package secrets loads the Adobe credentials a Lambda uses from AWS Secrets
// Manager: the same JSON as myconfig.json, stored as the secret string. The
// value is cached per process, so a warm Lambda container asks once per TTL
// instead of once per invocation, and it is never logged or put in an error.
package secrets

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/cja-sdr/cja-sdr/internal/config"
)

// DefaultTTL is how long Load reuses a secret. Short enough that a rotated
// secret reaches warm containers within minutes, long enough that thousands
// of invocations do not each pay a Secrets Manager call.
const DefaultTTL = 5 * time.Minute

// API is the part of *secretsmanager.Client this package uses.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Loader fetches and caches credentials by secret ID.
type Loader struct {
	TTL time.Duration    // zero means DefaultTTL
	Now func() time.Time // nil means time.Now

	mu    sync.Mutex
	cache map[string]entry
}

type entry struct {
	creds   config.Credentials
	fetched time.Time
}

var process Loader

// Load returns the credentials in secretID, from the process-wide cache
// while they are younger than DefaultTTL. The cache is keyed by secret ID
// only: one process talks to one Secrets Manager.
func Load(ctx context.Context, client API, secretID string) (config.Credentials, error) {
	return process.Load(ctx, client, secretID)
}

// Load returns the credentials in secretID, cached for l.TTL. Failures are
// not cached, so the next call tries again. The secret is validated like a
// config file; its warnings (unknown keys) are dropped, as a Lambda has no
// user to show them to.
func (l *Loader) Load(ctx context.Context, client API, secretID string) (config.Credentials, error) {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	ttl := l.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}

	l.mu.Lock()
	e, ok := l.cache[secretID]
	l.mu.Unlock()
	if ok && now().Sub(e.fetched) < ttl {
		return e.creds, nil
	}

	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	if err != nil {
		return config.Credentials{}, fmt.Errorf("read secret %s: %w (check the secret exists and the function's role may read it)", secretID, err)
	}
	data := out.SecretBinary
	if out.SecretString != nil {
		data = []byte(*out.SecretString)
	}
	creds, _, err := config.Parse(data, "secret "+secretID, nil)
	if err != nil {
		return config.Credentials{}, err
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cache == nil {
		l.cache = map[string]entry{}
	}
	l.cache[secretID] = entry{creds: creds, fetched: now()}
	return creds, nil
}

// Forget drops secretID from the cache, for example after the API rejected
// the credentials, so the next Load reads a rotated secret at once.
func (l *Loader) Forget(secretID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.cache, secretID)
}

// Forget drops secretID from the process-wide cache used by Load.
func Forget(secretID string) { process.Forget(secretID) }
