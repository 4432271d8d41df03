package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
)

// clientKey is the context key of the client a command comes from.
type clientKey struct{}

// withClient returns r's context carrying r's client (shareKey), to whom
// commit charges the command's idempotency key (scopedKey) and its room in
// the store (storeShares).
func withClient(r *http.Request) context.Context {
	return context.WithValue(r.Context(), clientKey{}, shareKey(identify(r)))
}

// clientOf is the client withClient put in ctx; "" for an unauthenticated
// one or none.
func clientOf(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(string)
	return c
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
	sum := sha256.Sum256([]byte(clientOf(ctx) + "\x00" + key))
	return "k:" + hex.EncodeToString(sum[:])
}
