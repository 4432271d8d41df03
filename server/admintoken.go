package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
)

// adminTokenCookie carries the admin token once the page was opened with
// it, so that the page's own requests (view/live) need not.
const adminTokenCookie = "analytics-admin-token"

// adminDataPaths are the admin listener's endpoints that show stored data
// (entries, the upload a check-in would send). Every local user can reach
// the listener, so these need the admin token: a random value made at
// each start and printed only with the admin URL (AdminURL), which the
// operator opens. /status and /metrics show counts only and need none.
var adminDataPaths = map[string]bool{"/checkin/preview": true, "/view": true, "/view/live": true}

// newAdminToken is a fresh admin token.
func newAdminToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// adminTokenOK reports whether r carries the admin token, in its "token"
// query parameter (then the answer sets the cookie for the page's own
// requests) or in the cookie.
func (s *Server) adminTokenOK(w http.ResponseWriter, r *http.Request) bool {
	if q := r.URL.Query().Get("token"); q != "" && subtle.ConstantTimeCompare([]byte(q), []byte(s.adminToken)) == 1 {
		http.SetCookie(w, &http.Cookie{Name: adminTokenCookie, Value: s.adminToken, Path: "/",
			HttpOnly: true, SameSite: http.SameSiteStrictMode})
		return true
	}
	c, err := r.Cookie(adminTokenCookie)
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.adminToken)) == 1
}

// refuseAdminData answers a request for stored data on the admin listener
// without the admin token.
func refuseAdminData(w http.ResponseWriter) {
	http.Error(w, "Forbidden: stored data on the admin listener needs the token printed with its URL at start", http.StatusForbidden)
}
