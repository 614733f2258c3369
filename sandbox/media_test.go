package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func (e *env) mediaGet(t *testing.T, id string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(e.api + "/cgi-bin/media/get?access_token=" + e.token(t) + "&media_id=" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func errcodeOf(b []byte) int {
	var e apiError
	if json.Unmarshal(b, &e) != nil {
		return 0
	}
	return e.ErrCode
}

func TestCitizenMediaRoundTripAndExpiry(t *testing.T) {
	e := newEnv(t)
	voice := append([]byte("#!AMR\n"), bytes.Repeat([]byte{7}, 500)...)
	if _, err := e.sb.CitizenSends(context.Background(), "wmA", "voice", voice, "语音.amr"); err != nil {
		t.Fatal(err)
	}
	m := e.product.Pulled()[0]
	if m["msgtype"] != "voice" {
		t.Fatalf("pulled %v", m)
	}
	id := m["voice"].(map[string]any)["media_id"].(string)
	resp, body := e.mediaGet(t, id)
	if !bytes.Equal(body, voice) {
		t.Errorf("media/get returned %d bytes, want the %d sent", len(body), len(voice))
	}
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	got := []string{resp.Header.Get("Content-Type"), params["filename"]}
	if diff := cmp.Diff([]string{"audio/amr", "语音.amr"}, got); diff != "" || err != nil {
		t.Errorf("headers (-want +got):\n%s %v", diff, err)
	}
	e.clock.Advance(3*24*time.Hour - time.Second)
	if _, body := e.mediaGet(t, id); errcodeOf(body) != 0 {
		t.Errorf("before 3 days: %s", body)
	}
	e.clock.Advance(time.Second)
	if _, body := e.mediaGet(t, id); errcodeOf(body) != errInvalidMediaID {
		t.Errorf("after 3 days: %s", body)
	}
	if _, body := e.mediaGet(t, "no-such-id"); errcodeOf(body) != errInvalidMediaID {
		t.Errorf("unknown id: %s", body)
	}
	if _, err := e.sb.CitizenSends(context.Background(), "wmA", "voice", make([]byte, 2<<20+1), "long.amr"); err == nil {
		t.Error("a voice message over 2 MB was accepted")
	}
}

func (e *env) upload(t *testing.T, kind, name string, data []byte) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("media", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	resp, err := http.Post(e.api+"/cgi-bin/media/upload?access_token="+e.token(t)+"&type="+kind, w.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMediaUpload(t *testing.T) {
	e := newEnv(t)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...)
	tests := []struct {
		name, kind string
		data       []byte
		want       int
	}{
		{"image", "image", png, 0},
		{"bad type", "sticker", png, errInvalidType},
		{"too small", "image", []byte("tiny"), errInvalidImageSize},
		{"voice too big", "voice", make([]byte, 2<<20+1), errInvalidVoiceSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.upload(t, tt.kind, "照片.png", tt.data)
			if got := code(r); got != tt.want {
				t.Fatalf("errcode %d, want %d: %v", got, tt.want, r)
			}
			if tt.want != 0 {
				return
			}
			if r["type"] != tt.kind || r["created_at"] == "" {
				t.Errorf("answer = %v", r)
			}
			resp, body := e.mediaGet(t, r["media_id"].(string))
			if !bytes.Equal(body, tt.data) || resp.Header.Get("Content-Type") != "image/png" {
				t.Errorf("round trip: %d bytes, %s", len(body), resp.Header.Get("Content-Type"))
			}
		})
	}
	// An uploaded image can be sent to the citizen and shows in the chat.
	if _, err := e.sb.CitizenSays(context.Background(), "wmA", "请发材料清单"); err != nil {
		t.Fatal(err)
	}
	id := e.upload(t, "image", "清单.png", png)["media_id"]
	r := e.call(t, "/cgi-bin/kf/send_msg", map[string]any{"touser": "wmA", "open_kfid": kf, "msgtype": "image", "image": map[string]any{"media_id": id}})
	if code(r) != 0 {
		t.Fatalf("send image: %v", r)
	}
	chat := e.sb.Chat("wmA")
	if last := chat[len(chat)-1]; last.MediaID != id || last.FileName != "清单.png" {
		t.Errorf("last line = %+v", last)
	}
}
