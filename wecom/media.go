package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"strings"
)

// MaxMediaSize bounds a download: WeCom's largest kf media (a file) is 20 MB.
const MaxMediaSize = 20 << 20

// Media kinds for UploadMedia, with WeCom's size limits for temporary media.
var uploadLimits = map[string]int{
	"image": 10 << 20,
	"voice": 2 << 20,
	"video": 10 << 20,
	"file":  20 << 20,
}

// minUpload is WeCom's smallest accepted upload.
const minUpload = 5

// GetMedia downloads temporary media (media ids live 3 days). contentType and
// fileName come from WeCom's headers and may be empty. A JSON answer is an API
// error; more than MaxMediaSize bytes is an error.
func (c *Client) GetMedia(ctx context.Context, mediaID string) (data []byte, contentType, fileName string, err error) {
	const p = "/cgi-bin/media/get"
	if mediaID == "" {
		return nil, "", "", invalidf("media id is required")
	}
	resp, err := c.call(ctx, request{
		method: http.MethodGet,
		path:   p,
		query:  url.Values{"media_id": {mediaID}},
		limit:  MaxMediaSize,
		file:   true,
	})
	if err != nil {
		return nil, "", "", fmt.Errorf("media get: %w", err)
	}
	return resp.body, resp.header.Get("Content-Type"), dispositionFileName(resp.header.Get("Content-Disposition")), nil
}

// dispositionFileName reads the file name of a Content-Disposition header,
// keeping only its base name.
func dispositionFileName(h string) string {
	if h == "" {
		return ""
	}
	var name string
	if _, params, err := mime.ParseMediaType(h); err == nil {
		name = params["filename"]
	} else if _, rest, ok := strings.Cut(h, "filename="); ok {
		// Unquoted UTF-8 is not a valid token, but servers send it.
		name, _, _ = strings.Cut(rest, ";")
		name = strings.Trim(strings.TrimSpace(name), `"`)
	}
	if name == "" {
		return ""
	}
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" {
		return ""
	}
	return name
}

// UploadMedia uploads temporary media of kind image, voice, video or file and
// returns its media id (valid 3 days).
func (c *Client) UploadMedia(ctx context.Context, kind, fileName string, data []byte) (string, error) {
	const p = "/cgi-bin/media/upload"
	limit, ok := uploadLimits[kind]
	if !ok {
		return "", invalidf("media kind %q is not image, voice, video or file", kind)
	}
	if len(data) < minUpload || len(data) > limit {
		return "", invalidf("%s of %d bytes; WeCom takes %d to %d", kind, len(data), minUpload, limit)
	}
	if fileName == "" {
		return "", invalidf("file name is required")
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	// The layout of WeCom's documented example, with the UTF-8 name quoted
	// as browsers send it (not RFC 2231, which WeCom does not document).
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename="%s"; filelength=%d`, quoteFileName(fileName), len(data)))
	h.Set("Content-Type", "application/octet-stream")
	part, err := w.CreatePart(h)
	if err != nil {
		return "", fmt.Errorf("media upload: build form: %w", err)
	}
	if _, err := part.Write(data); err != nil {
		return "", fmt.Errorf("media upload: build form: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("media upload: build form: %w", err)
	}
	resp, err := c.call(ctx, request{
		method:      http.MethodPost,
		path:        p,
		query:       url.Values{"type": {kind}},
		body:        buf.Bytes(),
		contentType: w.FormDataContentType(),
	})
	if err != nil {
		return "", fmt.Errorf("media upload: %w", err)
	}
	var out struct {
		MediaID string `json:"media_id"`
	}
	if err := json.Unmarshal(resp.body, &out); err != nil {
		return "", fmt.Errorf("media upload: decode answer: %w", err)
	}
	if out.MediaID == "" {
		return "", fmt.Errorf("media upload: %w", errEmptyField(p, "media_id"))
	}
	return out.MediaID, nil
}

var fileNameQuoter = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "")

func quoteFileName(name string) string { return fileNameQuoter.Replace(name) }
