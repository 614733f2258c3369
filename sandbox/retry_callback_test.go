package sandbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A kf callback the product does not answer with 200 is delivered again,
// three times in all, as WeCom does.
func TestKfCallbackTriedThreeTimesInAll(t *testing.T) {
	for _, c := range []struct {
		name    string
		fails   int32
		wantErr bool
	}{
		{"answered at the third", 2, false},
		{"never answered", 3, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int32
			product := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) <= c.fails {
					http.Error(w, "try again", http.StatusInternalServerError)
					return
				}
				w.Write([]byte("success"))
			}))
			defer product.Close()
			s, err := New(Config{CallbackURL: product.URL})
			if err != nil {
				t.Fatal(err)
			}
			err = s.deliverRetried(context.Background(), s.Config().OpenKfIDs[0])
			if (err != nil) != c.wantErr {
				t.Errorf("deliverRetried = %v; want an error: %v", err, c.wantErr)
			}
			if n := calls.Load(); n != 3 {
				t.Errorf("%d deliveries; want 3", n)
			}
		})
	}
}
