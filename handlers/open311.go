package handlers

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"banchengshi/open311"
)

// Open311 serves Open311 GeoReport v2 under /open311/v2/: services, a
// service's definition, requests (GET and POST) and one request, each as
// .json or .xml.
type Open311 struct {
	Service *open311.Service
	Log     *slog.Logger // nil discards
}

// maxOpen311Form bounds a POST body: a description of 4000 characters and
// the other fields fit many times over.
const maxOpen311Form = 64 << 10

func (o *Open311) routes(r *gin.Engine) {
	g := r.Group("/open311/v2")
	g.GET("/:resource", o.collection)
	g.POST("/:resource", o.post)
	g.GET("/services/:code", o.service)
	g.GET("/requests/:id", o.request)
}

// splitFormat cuts "requests.json" into "requests" and "json".
func splitFormat(s string) (name, format string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i <= 0 {
		return s, "", false
	}
	name, format = s[:i], s[i+1:]
	return name, format, format == "json" || format == "xml"
}

// resource reads the path segment and the jurisdiction, or answers the error.
func (o *Open311) resource(c *gin.Context, param string) (name, format string, ok bool) {
	name, format, ok = splitFormat(c.Param(param))
	if !ok {
		o.fail(c, "json", &open311.Error{Code: http.StatusNotFound, Reason: open311.ReasonBadFormat})
		return "", "", false
	}
	if err := o.Service.CheckJurisdiction(c.Request.FormValue("jurisdiction_id")); err != nil {
		o.fail(c, format, err)
		return "", "", false
	}
	return name, format, true
}

// collection answers GET services.{format} and GET requests.{format}.
func (o *Open311) collection(c *gin.Context) {
	name, format, ok := o.resource(c, "resource")
	if !ok {
		return
	}
	switch name {
	case "services":
		list := o.Service.Services(c.Request.Context())
		geo(c, format, http.StatusOK, list, open311.ServicesXML{Services: list})
	case "requests":
		list, err := o.Service.Requests(c.Request.Context(), c.Request.URL.Query())
		if err != nil {
			o.fail(c, format, err)
			return
		}
		geo(c, format, http.StatusOK, list, open311.ServiceRequestsXML{Requests: list})
	default:
		o.fail(c, format, &open311.Error{Code: http.StatusNotFound, Reason: open311.ReasonNoResource})
	}
}

// post answers POST requests.{format}: a new case.
func (o *Open311) post(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxOpen311Form)
	if err := c.Request.ParseForm(); err != nil {
		o.fail(c, "json", &open311.Error{Code: http.StatusBadRequest, Reason: open311.ReasonTooLarge})
		return
	}
	name, format, ok := o.resource(c, "resource")
	if !ok {
		return
	}
	if name != "requests" {
		o.fail(c, format, &open311.Error{Code: http.StatusNotFound, Reason: open311.ReasonNoResource})
		return
	}
	client, err := o.Service.Client(c.Request.PostForm.Get("api_key"))
	if err != nil {
		o.fail(c, format, err)
		return
	}
	req, err := open311.ParseRequest(c.Request.PostForm)
	if err != nil {
		o.fail(c, format, err)
		return
	}
	created, err := o.Service.Create(c.Request.Context(), client, req)
	if err != nil {
		o.fail(c, format, err)
		return
	}
	list := []open311.Created{created}
	geo(c, format, http.StatusOK, list, open311.CreatedXML{Requests: list})
}

// service answers GET services/{code}.{format}.
func (o *Open311) service(c *gin.Context) {
	code, format, ok := o.resource(c, "code")
	if !ok {
		return
	}
	def, err := o.Service.Service(c.Request.Context(), code)
	if err != nil {
		o.fail(c, format, err)
		return
	}
	geo(c, format, http.StatusOK, def, def)
}

// request answers GET requests/{id}.{format}: a list of one, as the
// specification has it.
func (o *Open311) request(c *gin.Context) {
	id, format, ok := o.resource(c, "id")
	if !ok {
		return
	}
	r, err := o.Service.Request(c.Request.Context(), id)
	if err != nil {
		o.fail(c, format, err)
		return
	}
	list := []open311.ServiceRequest{r}
	geo(c, format, http.StatusOK, list, open311.ServiceRequestsXML{Requests: list})
}

// fail answers an error in the specification's error format; an unexpected
// error is logged once and answered 500 without detail.
func (o *Open311) fail(c *gin.Context, format string, err error) {
	var oe *open311.Error
	if !errors.As(err, &oe) {
		orDiscard(o.Log).Error("open311", "path", c.FullPath(), "err", err)
		oe = &open311.Error{Code: http.StatusInternalServerError}
	}
	doc := oe.Doc()
	geo(c, format, oe.Code, []open311.ErrorDoc{doc}, open311.ErrorsXML{Errors: []open311.ErrorDoc{doc}})
	c.Abort()
}

// geo writes v as JSON, or x as XML with the declaration the specification
// asks for, in UTF-8.
func geo(c *gin.Context, format string, status int, v, x any) {
	var body []byte
	var err error
	if format == "xml" {
		c.Header("Content-Type", "text/xml; charset=utf-8")
		body, err = xml.Marshal(x)
		body = append([]byte(xml.Header), body...)
	} else {
		c.Header("Content-Type", "application/json; charset=utf-8")
		body, err = json.Marshal(v)
	}
	if err != nil {
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	c.Status(status)
	_, _ = c.Writer.Write(body)
}
