package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// externalRef finds anything that would load from another host: absolute or
// protocol-relative URLs.
var externalRef = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9-]+\.[a-z0-9.-]+`)

func TestPageServesLocalAssetsOnly(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/", "/app.js", "/style.css"} {
		resp, err := http.Get(e.api + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		if m := externalRef.FindString(string(body)); m != "" {
			t.Errorf("%s refers to %q", path, m)
		}
		if path == "/" {
			if !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "发送语音") {
				t.Errorf("GET / is not the page: %s", resp.Header.Get("Content-Type"))
			}
			for _, ref := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(body), -1) {
				if strings.HasPrefix(ref[1], "/") {
					t.Errorf("absolute reference %q breaks under a prefix", ref[1])
				}
			}
		}
	}
}

// TestPageUnderPrefix mounts the sandbox as the product does and plays the
// citizen and the staff through the page's JSON.
func TestPageUnderPrefix(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", e.sb.Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base := srv.URL + "/sandbox"
	e.product.api = base // the product calls the API under the prefix too

	post := func(path string, body any) int {
		b, _ := json.Marshal(body)
		resp, err := http.Post(base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("/api/say", map[string]string{"user": "wmPage", "text": "你好"}); got != http.StatusOK {
		t.Fatalf("say: %d", got)
	}
	if got := post("/api/say", map[string]string{"user": "wmPage", "text": "反映问题", "menu_id": "report"}); got != http.StatusOK {
		t.Fatalf("tap: %d", got)
	}
	if got := post("/api/say", map[string]string{"text": "no user"}); got != http.StatusBadRequest {
		t.Errorf("say without user: %d", got)
	}
	if got := post("/api/staff/say", map[string]string{"user": "zhangsan", "text": "帮助"}); got != http.StatusOK {
		t.Errorf("staff say: %d", got)
	}

	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("user", "wmPage")
	w.WriteField("msgtype", "image")
	fw, _ := w.CreateFormFile("file", "证明.jpg")
	fw.Write(bytes.Repeat([]byte{0xff}, 64))
	w.Close()
	resp, err := http.Post(base+"/api/send", w.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("send image: %s", resp.Status)
	}

	var chat []ChatLine
	getInto(t, base+"/api/chat?user=wmPage", &chat)
	var got []string
	for _, l := range chat {
		got = append(got, l.From+":"+l.MsgType+":"+l.Text+l.MenuID+l.FileName)
	}
	want := []string{"citizen:text:你好", "citizen:text:反映问题report", "citizen:image:证明.jpg"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chat (-want +got):\n%s", diff)
	}
	if n := len(e.product.Pulled()); n != 3 {
		t.Errorf("product pulled %d messages, want 3", n)
	}
	var st struct {
		Citizens []string `json:"citizens"`
		Staff    []Member `json:"staff"`
	}
	getInto(t, base+"/api/state", &st)
	if diff := cmp.Diff([]string{"wmPage"}, st.Citizens); diff != "" || len(st.Staff) != 4 {
		t.Errorf("state (-want +got):\n%s %v", diff, st.Staff)
	}
	resp, err = http.Get(base + "/api/media?media_id=" + chat[2].MediaID)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("page media: %v %v", resp, err)
	}
}

func getInto(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// A fresh sandbox answers empty lists as [], never null: the page iterates
// over them before any citizen has written.
func TestPageFreshStateHasEmptyLists(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/api/state", "/api/chat?user=wmNobody", "/api/inbox?user=nobody"} {
		resp, err := http.Get(e.api + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		if bytes.Contains(body, []byte("null")) {
			t.Errorf("GET %s = %s; want empty lists as []", path, body)
		}
	}
	var st struct {
		Citizens []string `json:"citizens"`
	}
	resp, err := http.Get(e.api + "/api/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{}, st.Citizens); diff != "" {
		t.Errorf("citizens (-want +got):\n%s", diff)
	}
}
