package secrets

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/cja-sdr/cja-sdr/internal/awstest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

const secretValue = "s3cr3t-Value-xyz-0987"

func creds(clientID string) string {
	return `{"org_id":"ABC@AdobeOrg","client_id":"` + clientID + `","secret":"` + secretValue + `","scopes":["openid","AdobeID"],"note":"x"}`
}

// counting wraps a client to count the calls reaching Secrets Manager.
type counting struct {
	API
	mu sync.Mutex
	n  int
}

func (c *counting) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.API.GetSecretValue(ctx, in, opts...)
}

func newSecret(t *testing.T, client *secretsmanager.Client, value string) string {
	t.Helper()
	name := "cja-sdr/test/" + strings.ReplaceAll(t.Name(), "/", "-")
	if _, err := client.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestLoaderCachesWithTTL(t *testing.T) {
	m := awstest.Moto(t)
	sm := m.SecretsManager(t)
	id := newSecret(t, sm, creds("first"))
	client := &counting{API: sm}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &Loader{TTL: time.Minute, Now: func() time.Time { return now }}
	ctx := t.Context()

	c, err := l.Load(ctx, client, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientID != "first" || c.Secret != secretValue || c.Scopes != "openid,AdobeID" || c.CJAURL != "https://cja.adobe.io" {
		t.Fatalf("got %+v", c)
	}

	// Rotate the secret: within the TTL the cached value is still used.
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(id), SecretString: aws.String(creds("second"))}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(59 * time.Second)
	if c, _ := l.Load(ctx, client, id); c.ClientID != "first" || client.n != 1 {
		t.Fatalf("within TTL: %s, %d calls", c.ClientID, client.n)
	}
	now = now.Add(time.Second)
	if c, _ := l.Load(ctx, client, id); c.ClientID != "second" || client.n != 2 {
		t.Fatalf("after TTL: %s, %d calls", c.ClientID, client.n)
	}

	// Forget forces a fresh read.
	l.Forget(id)
	l.Load(ctx, client, id)
	if client.n != 3 {
		t.Errorf("after Forget: %d calls, want 3", client.n)
	}
}

func TestProcessWideLoad(t *testing.T) {
	m := awstest.Moto(t)
	sm := m.SecretsManager(t)
	id := newSecret(t, sm, creds("pw"))
	client := &counting{API: sm}
	for range 3 {
		c, err := Load(t.Context(), client, id)
		if err != nil || c.ClientID != "pw" {
			t.Fatalf("Load = %+v, %v", c, err)
		}
	}
	if client.n != 1 {
		t.Errorf("%d calls to Secrets Manager, want 1", client.n)
	}
	Forget(id)
	Load(t.Context(), client, id)
	if client.n != 2 {
		t.Errorf("after Forget: %d calls, want 2", client.n)
	}
}

func TestErrorsNeverShowTheSecret(t *testing.T) {
	m := awstest.Moto(t)
	sm := m.SecretsManager(t)
	l := &Loader{}
	ctx := t.Context()
	for name, value := range map[string]string{
		"syntax":  `{"secret":` + secretValue + `}`,
		"missing": `{"secret":"` + secretValue + `"}`,
		"jwt":     `{"secret":"` + secretValue + `","private_key":"` + secretValue + `"}`,
		"type":    `{"secret":"` + secretValue + `","org_id":["` + secretValue + `"]}`,
	} {
		t.Run(name, func(t *testing.T) {
			id := newSecret(t, sm, value)
			_, err := l.Load(ctx, sm, id)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "secret "+id) {
				t.Errorf("error does not name the secret: %v", err)
			}
			if strings.Contains(err.Error(), secretValue) {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}

	_, err := l.Load(ctx, sm, "no/such/secret")
	if err == nil || !strings.Contains(err.Error(), "read secret no/such/secret") {
		t.Errorf("missing secret: %v", err)
	}
}

func TestFailuresAreNotCached(t *testing.T) {
	m := awstest.Moto(t)
	sm := m.SecretsManager(t)
	id := "cja-sdr/test/later"
	l := &Loader{}
	if _, err := l.Load(t.Context(), sm, id); err == nil {
		t.Fatal("loaded a secret that does not exist yet")
	}
	sm.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{Name: aws.String(id), SecretString: aws.String(creds("late"))})
	if c, err := l.Load(t.Context(), sm, id); err != nil || c.ClientID != "late" {
		t.Errorf("after creation: %+v, %v", c, err)
	}
}

func TestSecretBinary(t *testing.T) {
	m := awstest.Moto(t)
	sm := m.SecretsManager(t)
	id := "cja-sdr/test/binary"
	if _, err := sm.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{Name: aws.String(id), SecretBinary: []byte(creds("bin"))}); err != nil {
		t.Fatal(err)
	}
	if c, err := (&Loader{}).Load(t.Context(), sm, id); err != nil || c.ClientID != "bin" {
		t.Errorf("binary secret: %+v, %v", c, err)
	}
}
