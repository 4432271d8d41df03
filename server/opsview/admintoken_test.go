package opsview_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/analytics-client/analytics/server/opsview"
)

// TestAdminToken: stored data needs the token, in the query (which sets
// the cookie) or the cookie; counts need none; each start makes another
// token (issue 17.9).
func TestAdminToken(t *testing.T) {
	tok := opsview.NewAdminToken()
	if other := opsview.NewAdminToken(); len(tok.String()) < 32 || other.String() == tok.String() {
		t.Fatalf("tokens %q and %q", tok, other)
	}
	admit := func(path, target string, cookie *http.Cookie) (bool, *httptest.ResponseRecorder) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", target, nil)
		if cookie != nil {
			r.AddCookie(cookie)
		}
		return tok.Admit(w, r, path), w
	}
	for _, p := range []string{"/status", "/metrics"} {
		if ok, _ := admit(p, p, nil); !ok {
			t.Errorf("%s refused without the token", p)
		}
	}
	for _, p := range []string{"/view", "/view/live", "/checkin/preview"} {
		if ok, w := admit(p, p, nil); ok || w.Code != http.StatusForbidden {
			t.Errorf("%s without the token: admitted %v, %d", p, ok, w.Code)
		}
		if ok, _ := admit(p, p+"?token=0123", nil); ok {
			t.Errorf("%s admitted with a wrong token", p)
		}
		if ok, _ := admit(p, p, &http.Cookie{Name: "analytics-admin-token", Value: "x"}); ok {
			t.Errorf("%s admitted with a wrong cookie", p)
		}
	}
	ok, w := admit("/view", "/view?token="+tok.String(), nil)
	cookies := w.Result().Cookies()
	if !ok || len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("with the token: admitted %v, cookies %v", ok, cookies)
	}
	if ok, _ := admit("/view/live", "/view/live", cookies[0]); !ok {
		t.Error("the page's own request with the cookie was refused")
	}
}
