package limits_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/analytics-client/analytics/server/limits"
)

// Read request bodies within a size limit and a budget shared by every
// request: a body that finds no room is refused at once (ErrBusy), and
// each handler gives back what it held once it has answered.
func ExampleReadBody() {
	budget := limits.NewBudget(4 << 10)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, held, err := limits.ReadBody(w, r, 1<<10, budget)
		defer budget.Give(held)
		switch {
		case errors.Is(err, limits.ErrTooLarge):
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		case errors.Is(err, limits.ErrBusy):
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case err != nil:
			http.Error(w, "bad body", http.StatusBadRequest)
		default:
			fmt.Fprintf(w, "read %d bytes", len(body))
		}
	})
	for _, body := range []string{"hello", strings.Repeat("x", 2<<10)} {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(body)))
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	fmt.Println(budget.Used())
	// Output:
	// 200 read 5 bytes
	// 413 too large
	// 0
}
