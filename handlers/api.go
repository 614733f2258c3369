package handlers

import (
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"banchengshi/cases"
)

// API is the JSON API for the bureau's own tools, behind a bearer token.
// Personal data is masked here, in its fields and in free text (apimask.go):
// only staff working a case see it in full.
type API struct {
	Repo  cases.Repo
	Token string
	// Log receives the unexpected errors hidden from callers; nil discards.
	Log *slog.Logger
}

// auth refuses every request when no token is configured, and any request
// without the right bearer token.
func (a *API) auth(c *gin.Context) {
	if a.Token == "" {
		writeError(c, http.StatusForbidden, "the API is closed: set BCS_ADMIN_TOKEN to open it")
		return
	}
	got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="banchengshi"`)
		writeError(c, http.StatusUnauthorized, "a valid bearer token is required")
		return
	}
	c.Next()
}

// caseJSON is a case as the API shows it, personal data masked.
type caseJSON struct {
	*cases.Case
	Status     cases.Status `json:"status"`
	StatusText string       `json:"status_text"`
}

func masked(c *cases.Case) caseJSON {
	cp := maskedCase(c)
	return caseJSON{Case: cp, Status: cp.Status, StatusText: cases.StatusText(cp.Status)}
}

// listCases answers GET /api/cases?status=&limit=&after=.
func (a *API) listCases(c *gin.Context) {
	f := cases.Filter{Category: c.Query("category"), Dept: c.Query("dept"), Assignee: c.Query("assignee"), Light: cases.Light(c.Query("light"))}
	for _, s := range strings.Split(c.Query("status"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			if !knownStatus(cases.Status(s)) {
				writeError(c, http.StatusBadRequest, "unknown status "+strconv.Quote(s))
				return
			}
			f.Status = append(f.Status, cases.Status(s))
		}
	}
	var err error
	if f.Limit, err = intParam(c, "limit", 50, 1, 500); err != nil {
		writeError(c, http.StatusBadRequest, err.Error())
		return
	}
	after, err := intParam(c, "after", 0, 0, 1<<62)
	if err != nil {
		writeError(c, http.StatusBadRequest, err.Error())
		return
	}
	f.AfterID = int64(after)
	list, err := a.Repo.ListCases(c.Request.Context(), f)
	if err != nil {
		serverError(c, a.Log, err)
		return
	}
	out := make([]caseJSON, 0, len(list))
	for _, cs := range list {
		out = append(out, masked(cs))
	}
	resp := gin.H{"cases": out}
	if len(list) == f.Limit {
		resp["next_after"] = list[len(list)-1].ID
	}
	c.JSON(http.StatusOK, resp)
}

// getCase answers GET /api/cases/:number with the timeline, attachments and
// the fate of every notification.
func (a *API) getCase(c *gin.Context) {
	ctx := c.Request.Context()
	cs, err := a.Repo.GetCase(ctx, c.Param("number"))
	if errors.Is(err, cases.ErrNotFound) {
		writeError(c, http.StatusNotFound, "no case "+strconv.Quote(c.Param("number")))
		return
	}
	if err != nil {
		serverError(c, a.Log, err)
		return
	}
	timeline, err := a.Repo.Timeline(ctx, cs.ID)
	if err != nil {
		serverError(c, a.Log, err)
		return
	}
	atts, err := a.Repo.Attachments(ctx, cs.ID)
	if err != nil {
		serverError(c, a.Log, err)
		return
	}
	outbox, err := a.Repo.CaseOutbox(ctx, cs.ID)
	if err != nil {
		serverError(c, a.Log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"case": masked(cs), "timeline": maskedEvents(timeline),
		"attachments": maskedAttachments(atts), "notifications": maskedOutbox(outbox)})
}

func knownStatus(s cases.Status) bool { return slices.Contains(cases.Statuses(), s) }

func intParam(c *gin.Context, name string, def, lo, hi int) (int, error) {
	raw := c.Query(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, errors.New(name + " must be a number from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi))
	}
	return n, nil
}
