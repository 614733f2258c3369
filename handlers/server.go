// Package handlers is the product's HTTP surface (gin): WeCom callbacks, the
// JSON API, Open311 (GeoReport v2), /metrics and health. Handlers are thin:
// decode, verify, call, encode.
package handlers

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// Pinger is something readiness depends on (the database, Redis).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Routes is everything the router serves.
type Routes struct {
	Callback   *Callback // /wecom/callback
	KfCallback *Callback // /wecom/kf/callback when 微信客服 has keys of its own; nil otherwise
	API        *API
	// Metrics, when set, is served at /metrics behind MetricsToken: a token
	// of its own, never the API's, which reads every case. An empty
	// MetricsToken closes /metrics.
	Metrics      http.Handler
	MetricsToken string
	Ready        map[string]Pinger
	// Open311, when set, serves Open311 GeoReport v2 under /open311/v2/.
	Open311 *Open311
	// Mount adds more routes (the sandbox, pages) to the engine.
	Mount []func(*gin.Engine)
	// Log receives one line per request (at debug level); nil discards.
	Log *slog.Logger
}

// NewRouter registers every route in one place.
func NewRouter(rt Routes) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery(), requestLog(orDiscard(rt.Log)))

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", ready(rt.Ready))

	for _, cb := range []struct {
		path string
		h    *Callback
	}{{"/wecom/callback", rt.Callback}, {"/wecom/kf/callback", rt.KfCallback}} {
		if cb.h != nil {
			r.GET(cb.path, cb.h.Verify)
			r.POST(cb.path, cb.h.Receive)
		}
	}

	r.GET("/api/openapi.json", openAPI)
	if rt.API != nil {
		api := r.Group("/api", rt.API.auth)
		api.GET("/cases", rt.API.listCases)
		api.GET("/cases/:number", rt.API.getCase)
	}
	if rt.Metrics != nil {
		r.GET("/metrics", bearer(rt.MetricsToken, "BCS_METRICS_TOKEN"), gin.WrapH(rt.Metrics))
	}
	if rt.Open311 != nil {
		rt.Open311.routes(r)
	}
	for _, m := range rt.Mount {
		m(r)
	}
	return r
}

// bearer admits only requests that present token as a bearer token, and
// none when token is empty (the setting named env opens the route).
func bearer(token, env string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if token == "" {
			writeError(c, http.StatusForbidden, "closed: set "+env+" to open it")
			return
		}
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			c.Header("WWW-Authenticate", `Bearer realm="banchengshi"`)
			writeError(c, http.StatusUnauthorized, "a valid bearer token is required")
			return
		}
		c.Next()
	}
}

func ready(deps map[string]Pinger) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		status := http.StatusOK
		out := gin.H{}
		for name, p := range deps {
			if err := p.Ping(ctx); err != nil {
				status = http.StatusServiceUnavailable
				out[name] = "unreachable"
				continue
			}
			out[name] = "ok"
		}
		c.JSON(status, out)
	}
}

// requestLog logs each request with its status and duration; never bodies or
// query strings (callbacks carry signatures, pages carry case numbers).
func requestLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		if c.Request.URL.Path == "/healthz" {
			return
		}
		log.Debug("http", "method", c.Request.Method, "path", c.FullPath(), "status", c.Writer.Status(),
			"ms", time.Since(start).Milliseconds())
	}
}

// writeError answers with a JSON error for the API's callers.
func writeError(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"error": msg})
}

// serverError hides an unexpected error from the caller and logs it once.
func serverError(c *gin.Context, log *slog.Logger, err error) {
	orDiscard(log).Error("api", "path", c.FullPath(), "err", err)
	writeError(c, http.StatusInternalServerError, "internal error")
}

// orDiscard is log, or a logger that discards when a handler was given none.
func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return discard
	}
	return log
}

var discard = slog.New(slog.DiscardHandler)
