package server

import (
	"net/http"

	"github.com/analytics-client/analytics/server/opsview"
)

// adminMiss answers a request for which the admin listener has no
// endpoint: GET / leads to the page (/view), a path it serves asked with
// another method gets 405 with the methods it takes (Allow), anything
// else 404.
func adminMiss(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		http.Redirect(w, r, "/view", http.StatusFound)
	case p == "/" || opsview.AdminPath(p):
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "Method Not Allowed: "+p+" takes GET", http.StatusMethodNotAllowed)
	default:
		notFound(w)
	}
}
