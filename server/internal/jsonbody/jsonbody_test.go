package jsonbody_test

import (
	"net/http/httptest"
	"testing"

	"github.com/analytics-client/analytics/server/internal/jsonbody"
)

func TestMarshalAndWrite(t *testing.T) {
	b, err := jsonbody.Marshal(map[string]string{"a": "<b>&"})
	if err != nil || string(b) != `{"a":"<b>&"}` {
		t.Fatalf("Marshal = %s, %v (escaped, or with a newline)", b, err)
	}
	w := httptest.NewRecorder()
	jsonbody.Write(w, 207, b)
	if w.Code != 207 || w.Body.String() != string(b) || w.Header().Get("Content-Type") != jsonbody.ContentType ||
		w.Header().Get("Content-Length") != "12" {
		t.Errorf("Write sent %d %v %q", w.Code, w.Header(), w.Body)
	}
}
