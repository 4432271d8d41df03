package opsview

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
)

// adminTokenCookie carries the admin token once the page was opened with
// it, so that the page's own requests (view/live) need not.
const adminTokenCookie = "analytics-admin-token"

// AdminToken opens the admin listener's endpoints that show stored data
// (entries, the upload a check-in would send: checkin/preview, view,
// view/live). Every local user can reach the listener, so these need the
// token: a random value made at each start and printed only with the
// admin URL, which the operator opens. status and metrics show counts
// only and need none.
type AdminToken struct{ value string }

// NewAdminToken is a fresh admin token.
func NewAdminToken() AdminToken {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return AdminToken{hex.EncodeToString(b[:])}
}

// String is the token, for the admin URL's "token" query parameter.
func (t AdminToken) String() string { return t.value }

// Admit reports whether the admin listener may serve r for path (below
// the prefix); when not, it has answered 403. A request for stored data
// needs the token, in its "token" query parameter (then the answer sets a
// cookie for the page's own requests) or in that cookie.
func (t AdminToken) Admit(w http.ResponseWriter, r *http.Request, path string) bool {
	switch path {
	case "/checkin/preview", "/view", "/view/live":
	default:
		return true
	}
	if q := r.URL.Query().Get("token"); q != "" && t.is(q) {
		http.SetCookie(w, &http.Cookie{Name: adminTokenCookie, Value: t.value, Path: "/",
			HttpOnly: true, SameSite: http.SameSiteStrictMode})
		return true
	}
	if c, err := r.Cookie(adminTokenCookie); err == nil && t.is(c.Value) {
		return true
	}
	http.Error(w, "Forbidden: stored data on the admin listener needs the token printed with its URL at start", http.StatusForbidden)
	return false
}

func (t AdminToken) is(s string) bool {
	return t.value != "" && subtle.ConstantTimeCompare([]byte(s), []byte(t.value)) == 1
}
