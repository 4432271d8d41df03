package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
)

// keyScopeKey is the context key of the client an idempotency key belongs
// to.
type keyScopeKey struct{}

// withKeyScope returns r's context carrying r's client, whose idempotency
// keys commit scopes (see scopedKey).
func withKeyScope(r *http.Request) context.Context {
	return context.WithValue(r.Context(), keyScopeKey{}, shareKey(identify(r)))
}

// scopedKey is the key the store remembers for a command's key: the
// SHA-256 of the client's name and the key. A key belongs to the client
// that sent it: another client sending the same key sends an independent
// key, learns nothing of the first client's request and cannot take its
// key. All unauthenticated clients share one scope. The store sees only
// the sum, so its engines are unchanged.
func scopedKey(ctx context.Context, key string) string {
	if key == "" {
		return ""
	}
	client, _ := ctx.Value(keyScopeKey{}).(string)
	sum := sha256.Sum256([]byte(client + "\x00" + key))
	return "k:" + hex.EncodeToString(sum[:])
}
