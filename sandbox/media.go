package sandbox

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"time"
)

// mediaItem is a temporary media file: WeCom keeps it 3 days.
type mediaItem struct {
	kind        string
	fileName    string
	contentType string
	data        []byte
	created     time.Time
	expires     time.Time
}

// Media size limits of media/upload (and of what sync_msg can carry).
var mediaLimits = map[string]struct {
	max  int
	code int
}{
	"image": {10 << 20, errInvalidImageSize},
	"voice": {2 << 20, errInvalidVoiceSize},
	"video": {10 << 20, errInvalidVideoSize},
	"file":  {20 << 20, errInvalidFileSize},
}

// checkMediaSize applies WeCom's limits: every file more than 5 bytes, and at
// most the per-type maximum.
func checkMediaSize(kind string, n int) error {
	l, ok := mediaLimits[kind]
	if !ok {
		return fmt.Errorf("sandbox: unsupported media type %q", kind)
	}
	if n <= 5 || n > l.max {
		return fmt.Errorf("sandbox: %s of %d bytes is outside 6..%d bytes", kind, n, l.max)
	}
	return nil
}

var defaultTypes = map[string]string{
	"image": "image/jpeg", "voice": "audio/amr", "video": "video/mp4", "file": "application/octet-stream",
}

func (s *Sandbox) storeMedia(kind string, data []byte, fileName string) string {
	if fileName == "" {
		ext := map[string]string{"image": ".jpg", "voice": ".amr", "video": ".mp4", "file": ".bin"}[kind]
		fileName = kind + ext
	}
	ct := mime.TypeByExtension(filepath.Ext(fileName))
	if ct == "" || kind == "voice" {
		ct = defaultTypes[kind]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := "3" + randHex(24)
	now := s.now()
	s.media[id] = &mediaItem{kind: kind, fileName: fileName, contentType: ct,
		data: append([]byte(nil), data...), created: now, expires: now.Add(mediaTTL)}
	return id
}

// lookupMedia returns a media item that exists and has not expired.
func (s *Sandbox) lookupMedia(id string) (*mediaItem, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.media[id]
	if m == nil || !s.now().Before(m.expires) {
		return nil, false
	}
	return m, true
}

// handleMediaGet is /cgi-bin/media/get: the bytes with Content-Type and
// Content-Disposition, or JSON 40007 for an unknown or expired id.
func (s *Sandbox) handleMediaGet(w http.ResponseWriter, r *http.Request) {
	m, ok := s.lookupMedia(r.URL.Query().Get("media_id"))
	if !ok {
		writeErr(w, errInvalidMediaID, "invalid media_id")
		return
	}
	serveMedia(w, m)
}

func serveMedia(w http.ResponseWriter, m *mediaItem) {
	w.Header().Set("Content-Type", m.contentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": m.fileName}))
	w.Header().Set("Content-Length", strconv.Itoa(len(m.data)))
	_, _ = w.Write(m.data)
}

// handleMediaUpload is /cgi-bin/media/upload: multipart field "media".
func (s *Sandbox) handleMediaUpload(w http.ResponseWriter, r *http.Request) {
	kind := r.URL.Query().Get("type")
	limit, ok := mediaLimits[kind]
	if !ok {
		writeErr(w, errInvalidType, "invalid type")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, int64(limit.max)+1<<20)
	f, hdr, err := r.FormFile("media")
	if err != nil {
		writeErr(w, errInvalidMediaType, "invalid media: multipart field media required")
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit.max)+1))
	if err != nil {
		writeErr(w, limit.code, "invalid file size")
		return
	}
	if err := checkMediaSize(kind, len(data)); err != nil {
		writeErr(w, limit.code, "invalid file size")
		return
	}
	id := s.storeMedia(kind, data, filepath.Base(hdr.Filename))
	s.mu.Lock()
	created := s.media[id].created.Unix()
	s.mu.Unlock()
	writeJSON(w, struct {
		apiError
		Type      string `json:"type"`
		MediaID   string `json:"media_id"`
		CreatedAt string `json:"created_at"`
	}{apiError{0, ""}, kind, id, strconv.FormatInt(created, 10)})
}
