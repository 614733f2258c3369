package wecom

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func fileAnswer(ctype, disposition string, data []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		if disposition != "" {
			w.Header().Set("Content-Disposition", disposition)
		}
		w.Write(data)
	}
}

func TestGetMedia(t *testing.T) {
	amr := append([]byte("#!AMR\n"), bytes.Repeat([]byte{0x3c}, 100)...)
	tests := []struct {
		name        string
		answer      http.HandlerFunc
		wantData    []byte
		wantType    string
		wantName    string
		wantErrCode int
		wantErr     string
	}{
		{
			name:     "voice",
			answer:   fileAnswer("audio/amr", `attachment; filename="voice_1.amr"`, amr),
			wantData: amr, wantType: "audio/amr", wantName: "voice_1.amr",
		},
		{
			name:     "chinese file name, path stripped",
			answer:   fileAnswer("application/octet-stream", `attachment; filename*=UTF-8''..%2F%E6%A1%A3%E6%A1%88.pdf`, []byte("%PDF-1.4")),
			wantData: []byte("%PDF-1.4"), wantType: "application/octet-stream", wantName: "档案.pdf",
		},
		{
			name:     "raw UTF-8 names, quoted or not",
			answer:   fileAnswer("image/jpeg", `attachment; filename=身份证 正面.jpg; size=3`, []byte("jpg")),
			wantData: []byte("jpg"), wantType: "image/jpeg", wantName: "身份证 正面.jpg",
		},
		{
			name:     "no disposition name",
			answer:   fileAnswer("image/jpeg", `attachment`, []byte("jpg")),
			wantData: []byte("jpg"), wantType: "image/jpeg", wantName: "",
		},
		{
			name:     "a JSON file is a file when it is an attachment",
			answer:   fileAnswer("application/json", `attachment; filename="a.json"`, []byte(`{"errcode": 1}`)),
			wantData: []byte(`{"errcode": 1}`), wantType: "application/json", wantName: "a.json",
		},
		{
			name:        "expired media id",
			answer:      fileAnswer("application/json; charset=UTF-8", "", []byte(`{"errcode": 40007, "errmsg": "invalid media_id"}`)),
			wantErrCode: 40007, wantErr: "invalid media_id",
		},
		{
			name:    "over 20 MB",
			answer:  fileAnswer("video/mp4", `attachment; filename="v.mp4"`, make([]byte, MaxMediaSize+1)),
			wantErr: "larger than",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, "")
			f.route("/cgi-bin/media/get", func(call) any { return tt.answer })
			c := newTestClient(t, f, nil)
			data, ctype, name, err := c.GetMedia(context.Background(), "MEDIA_ID")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || ErrCode(err) != tt.wantErrCode {
					t.Fatalf("want error %q with errcode %d, got %v", tt.wantErr, tt.wantErrCode, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, tt.wantData) || ctype != tt.wantType || name != tt.wantName {
				t.Errorf("got %d bytes, %q, %q; want %d bytes, %q, %q", len(data), ctype, name, len(tt.wantData), tt.wantType, tt.wantName)
			}
			q := f.callsTo("/cgi-bin/media/get")[0].Query
			if diff := cmp.Diff(map[string]string{"media_id": "MEDIA_ID"}, q); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGetMediaRetriesOnTokenError(t *testing.T) {
	f := newFake(t, "")
	f.route("/cgi-bin/media/get", func(call) any {
		return fileAnswer("image/jpeg", `attachment; filename="p.jpg"`, []byte("\xff\xd8\xff\xe0jpeg"))
	})
	c := newTestClient(t, f, nil)
	if _, _, _, err := c.GetMedia(context.Background(), "M"); err != nil {
		t.Fatal(err)
	}
	f.revoke(CodeTokenExpired)
	data, _, _, err := c.GetMedia(context.Background(), "M")
	if err != nil || string(data) != "\xff\xd8\xff\xe0jpeg" {
		t.Fatalf("after token expiry: %q, %v", data, err)
	}
	if got := len(f.callsTo("/cgi-bin/media/get")); got != 3 {
		t.Errorf("media/get called %d times, want 3", got)
	}
}

func TestUploadMedia(t *testing.T) {
	f := newFake(t, "")
	var gotName, gotField, gotLength string
	var gotData []byte
	f.route("/cgi-bin/media/upload", func(c call) any {
		_, params, err := mime.ParseMediaType(c.CType)
		if err != nil {
			t.Errorf("content type %q: %v", c.CType, err)
		}
		r := multipart.NewReader(bytes.NewReader(c.Body), params["boundary"])
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		_, dparams, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		gotField, gotName, gotLength = p.FormName(), p.FileName(), dparams["filelength"]
		gotData, _ = io.ReadAll(p)
		return map[string]any{"errcode": 0, "errmsg": "", "type": c.Query["type"], "media_id": "1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0", "created_at": "1380000000"}
	})
	c := newTestClient(t, f, nil)
	data := []byte("hello, case file")
	id, err := c.UploadMedia(context.Background(), "file", `办事"指南".txt`, data)
	if err != nil {
		t.Fatal(err)
	}
	if id != "1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0" {
		t.Errorf("media id %q", id)
	}
	if diff := cmp.Diff(map[string]string{"type": "file"}, f.callsTo("/cgi-bin/media/upload")[0].Query); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	got := []string{gotField, gotName, gotLength, string(gotData)}
	if diff := cmp.Diff([]string{"media", `办事"指南".txt`, "16", "hello, case file"}, got); diff != "" {
		t.Errorf("multipart part (-want +got):\n%s", diff)
	}
}

func TestUploadMediaRejectsLocally(t *testing.T) {
	tests := []struct {
		name, kind, file string
		size             int
		want             string
	}{
		{"unknown kind", "thumb", "a.jpg", 100, "not image"},
		{"voice over 2 MB", "voice", "a.amr", 2<<20 + 1, "voice of"},
		{"too small", "image", "a.jpg", 4, "image of 4 bytes"},
		{"no name", "file", "", 100, "file name"},
	}
	f := newFake(t, "")
	c := newTestClient(t, f, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.UploadMedia(context.Background(), tt.kind, tt.file, make([]byte, tt.size))
			if !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want ErrInvalidMessage mentioning %q, got %v", tt.want, err)
			}
		})
	}
}
