package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"banchengshi/metrics"
	"banchengshi/wecom"
)

// Receiver makes a verified callback durable before it is acknowledged.
type Receiver interface {
	Receive(ctx context.Context, cb *wecom.Callback, plain []byte) (isNew bool, err error)
}

// Callback serves WeCom's callback URL for the self-built app and 微信客服.
type Callback struct {
	Crypter  *wecom.Crypter
	Receiver Receiver
	MaxBytes int64
	Log      *slog.Logger     // nil discards
	Metrics  *metrics.Metrics // nil counts nothing
}

// Verify answers WeCom's GET URL check: the decrypted echostr, as plain text.
func (h *Callback) Verify(c *gin.Context) {
	q := c.Request.URL.Query()
	plain, err := h.Crypter.Decrypt(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("echostr"))
	if err != nil {
		h.refuse(c, err)
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", plain)
}

// Receive checks, decrypts and stores a POSTed callback, then answers
// "success". WeCom waits 5 s and retries three times, so the answer waits only
// for the durable record; a repeat is acknowledged and changes nothing.
func (h *Callback) Receive(c *gin.Context) {
	start := time.Now()
	kind, result := "unknown", "refused"
	defer func() { h.Metrics.Callback(kind, result, time.Since(start)) }()
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, h.MaxBytes+1))
	if err != nil {
		c.String(http.StatusBadRequest, "cannot read body")
		return
	}
	if int64(len(body)) > h.MaxBytes {
		orDiscard(h.Log).Warn("callback too large", "bytes", len(body))
		c.String(http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	env, err := wecom.ParseEnvelope(body)
	if err != nil {
		h.refuse(c, err)
		return
	}
	q := c.Request.URL.Query()
	plain, err := h.Crypter.Decrypt(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), env.Encrypt)
	if err != nil {
		h.refuse(c, err)
		return
	}
	cb, err := wecom.ParseCallback(plain)
	if err != nil {
		h.refuse(c, err)
		return
	}
	kind = cb.Kind()
	isNew, err := h.Receiver.Receive(c.Request.Context(), cb, plain)
	if err != nil {
		result = "error"
		// Not stored: a 500 makes WeCom try again, which is what we want.
		orDiscard(h.Log).Error("store callback", "kind", cb.Kind(), "err", err)
		c.String(http.StatusInternalServerError, "try again")
		return
	}
	result = "stored"
	if !isNew {
		result = "repeat"
	}
	orDiscard(h.Log).Debug("callback stored", "kind", cb.Kind(), "new", isNew)
	c.String(http.StatusOK, "success")
}

// refuse answers a callback that fails verification with 4xx and changes nothing.
func (h *Callback) refuse(c *gin.Context, err error) {
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, wecom.ErrSignature):
		status = http.StatusUnauthorized
	case errors.Is(err, wecom.ErrReceiveID):
		status = http.StatusForbidden
	}
	orDiscard(h.Log).Warn("callback refused", "status", status, "err", err, "remote", c.ClientIP())
	c.String(status, http.StatusText(status))
}
