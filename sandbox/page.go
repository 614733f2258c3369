package sandbox

import (
	"embed"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
)

//go:embed web
var webFS embed.FS

// routePage registers the page and the JSON it polls. The page plays the
// citizen and the staff through the same driver methods tests use.
func (s *Sandbox) routePage(mux *http.ServeMux) {
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		panic("sandbox: embedded web assets missing: " + err.Error())
	}
	files := http.FileServerFS(sub)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /api/state", s.pageState)
	mux.HandleFunc("GET /api/chat", func(w http.ResponseWriter, r *http.Request) {
		pageJSON(w, http.StatusOK, orEmpty(s.Chat(r.URL.Query().Get("user"))))
	})
	mux.HandleFunc("GET /api/inbox", func(w http.ResponseWriter, r *http.Request) {
		pageJSON(w, http.StatusOK, s.AppInbox(r.URL.Query().Get("user")))
	})
	mux.HandleFunc("GET /api/media", func(w http.ResponseWriter, r *http.Request) {
		m, ok := s.lookupMedia(r.URL.Query().Get("media_id"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		serveMedia(w, m)
	})
	mux.HandleFunc("POST /api/say", s.pageSay)
	mux.HandleFunc("POST /api/other", s.pageOther)
	mux.HandleFunc("POST /api/enter", s.pageEnter)
	mux.HandleFunc("POST /api/send", s.pageSend)
	mux.HandleFunc("POST /api/staff/say", s.pageStaffSay)
	mux.HandleFunc("POST /api/staff/click", s.pageStaffClick)
}

// pageRequest is what the page posts.
type pageRequest struct {
	User    string `json:"user"`
	Text    string `json:"text"`
	MenuID  string `json:"menu_id"`
	MsgType string `json:"msgtype"`
	TaskID  string `json:"task_id"`
	Key     string `json:"key"`
}

func pageJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// pageResult answers the page: 200, or 502 with the reason when the product
// did not take the callback.
func pageResult(w http.ResponseWriter, err error) {
	if err != nil {
		pageJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	pageJSON(w, http.StatusOK, map[string]string{"ok": "1"})
}

func readPage(w http.ResponseWriter, r *http.Request) (pageRequest, bool) {
	var p pageRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err == nil {
		err = json.Unmarshal(body, &p)
	}
	if err != nil || p.User == "" {
		pageJSON(w, http.StatusBadRequest, map[string]string{"error": "bad request"})
		return p, false
	}
	return p, true
}

// pageState is what the page needs to draw itself. Lists are JSON arrays even
// when empty: on a fresh start no citizen has written yet, and the page must
// draw an empty list, not fail on null.
func (s *Sandbox) pageState(w http.ResponseWriter, r *http.Request) {
	cfg := s.Config()
	pageJSON(w, http.StatusOK, map[string]any{
		"corp_id":      cfg.CorpID,
		"open_kfids":   orEmpty(cfg.OpenKfIDs),
		"staff":        orEmpty(cfg.Staff),
		"citizens":     orEmpty(s.Citizens()),
		"callback_set": cfg.CallbackURL != "",
	})
}

// orEmpty makes a nil slice an empty one, so that it encodes as [] and not null.
func orEmpty[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

func (s *Sandbox) pageSay(w http.ResponseWriter, r *http.Request) {
	p, ok := readPage(w, r)
	if !ok {
		return
	}
	var err error
	if p.MenuID != "" {
		_, err = s.CitizenTaps(r.Context(), p.User, p.MenuID, p.Text)
	} else {
		_, err = s.CitizenSays(r.Context(), p.User, p.Text)
	}
	pageResult(w, err)
}

func (s *Sandbox) pageOther(w http.ResponseWriter, r *http.Request) {
	p, ok := readPage(w, r)
	if !ok {
		return
	}
	_, err := s.CitizenSendsOther(r.Context(), p.User, p.MsgType)
	pageResult(w, err)
}

func (s *Sandbox) pageEnter(w http.ResponseWriter, r *http.Request) {
	p, ok := readPage(w, r)
	if !ok {
		return
	}
	pageResult(w, s.CitizenEnters(r.Context(), p.User))
}

// pageSend takes a multipart form: user, msgtype (image, voice, video,
// file) and the file.
func (s *Sandbox) pageSend(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 21<<20)
	user, kind := r.FormValue("user"), r.FormValue("msgtype")
	f, hdr, err := r.FormFile("file")
	if err != nil || user == "" {
		pageJSON(w, http.StatusBadRequest, map[string]string{"error": "user and file required"})
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		pageJSON(w, http.StatusBadRequest, map[string]string{"error": "file too large"})
		return
	}
	_, err = s.CitizenSends(r.Context(), user, kind, data, hdr.Filename)
	pageResult(w, err)
}

func (s *Sandbox) pageStaffSay(w http.ResponseWriter, r *http.Request) {
	p, ok := readPage(w, r)
	if !ok {
		return
	}
	pageResult(w, s.StaffSays(r.Context(), p.User, p.Text))
}

func (s *Sandbox) pageStaffClick(w http.ResponseWriter, r *http.Request) {
	p, ok := readPage(w, r)
	if !ok {
		return
	}
	pageResult(w, s.StaffClicks(r.Context(), p.User, p.TaskID, p.Key))
}
