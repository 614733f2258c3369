package sandbox

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// cdata is an XML element whose text is written as CDATA, as WeCom writes it.
type cdata struct {
	Value string `xml:",cdata"`
}

// kfCallback is the kf_msg_or_event callback: "there is something new".
type kfCallback struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName cdata    `xml:"ToUserName"`
	CreateTime int64    `xml:"CreateTime"`
	MsgType    cdata    `xml:"MsgType"`
	Event      cdata    `xml:"Event"`
	Token      cdata    `xml:"Token"`
	OpenKfID   cdata    `xml:"OpenKfId"`
}

// appTextCallback is a text message a staff member typed to the app.
type appTextCallback struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	FromUserName cdata    `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      cdata    `xml:"MsgType"`
	Content      cdata    `xml:"Content"`
	MsgID        string   `xml:"MsgId"`
	AgentID      int      `xml:"AgentID"`
}

// cardEventCallback is a template_card_event: a staff member clicked a button.
type cardEventCallback struct {
	XMLName       xml.Name `xml:"xml"`
	ToUserName    cdata    `xml:"ToUserName"`
	FromUserName  cdata    `xml:"FromUserName"`
	CreateTime    int64    `xml:"CreateTime"`
	MsgType       cdata    `xml:"MsgType"`
	Event         cdata    `xml:"Event"`
	EventKey      cdata    `xml:"EventKey"`
	TaskID        cdata    `xml:"TaskId"`
	CardType      cdata    `xml:"CardType"`
	ResponseCode  cdata    `xml:"ResponseCode"`
	AgentID       int      `xml:"AgentID"`
	SelectedItems string   `xml:"SelectedItems"`
}

// Deliver encrypts, signs and POSTs a plain callback XML to the callback URL,
// as WeCom does, and returns the product's answer with its body buffered.
// Tests call it again with LastCallback() to check dedupe.
func (s *Sandbox) Deliver(ctx context.Context, plainXML []byte) (*http.Response, error) {
	s.mu.Lock()
	target := s.callbackURL
	s.lastCallback = append([]byte(nil), plainXML...)
	ts := strconv.FormatInt(s.now().Unix(), 10)
	s.mu.Unlock()
	if target == "" {
		return nil, errors.New("sandbox: no callback URL set")
	}
	nonce := randHex(8)
	body, sig, err := s.crypter.Seal(plainXML, ts, nonce)
	if err != nil {
		return nil, fmt.Errorf("sandbox: seal callback: %w", err)
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("sandbox: callback URL: %w", err)
	}
	q := u.Query()
	q.Set("msg_signature", sig)
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("sandbox: callback request: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sandbox: deliver callback: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("sandbox: read callback answer: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	return resp, nil
}

// LastCallback returns the last plain XML delivered, for tests to replay.
func (s *Sandbox) LastCallback() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.lastCallback...)
}

// deliverOK delivers and turns any answer but 200 into an error.
func (s *Sandbox) deliverOK(ctx context.Context, plainXML []byte) error {
	resp, err := s.Deliver(ctx, plainXML)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sandbox: product answered the callback with %s", resp.Status)
	}
	return nil
}

// notifyKf issues a fresh sync Token for the kf account and delivers the
// kf_msg_or_event callback carrying it.
func (s *Sandbox) notifyKf(ctx context.Context, openKfID string) error {
	x, err := s.kfCallback(openKfID)
	if err != nil {
		return err
	}
	return s.deliverOK(ctx, x)
}

// kfCallback is a kf_msg_or_event callback for the kf account, with a fresh
// sync Token.
func (s *Sandbox) kfCallback(openKfID string) ([]byte, error) {
	s.mu.Lock()
	tok := randHex(24)
	now := s.now()
	s.kfTokens[tok] = kfToken{openKfID: openKfID, expires: now.Add(kfTokenTTL)}
	s.mu.Unlock()
	x, err := xml.Marshal(kfCallback{
		ToUserName: cdata{s.cfg.CorpID},
		CreateTime: now.Unix(),
		MsgType:    cdata{"event"},
		Event:      cdata{"kf_msg_or_event"},
		Token:      cdata{tok},
		OpenKfID:   cdata{openKfID},
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: kf callback xml: %w", err)
	}
	return x, nil
}

// deliverRetried delivers a kf callback for the account and, while the
// product does not answer it with 200, the same callback again (Token and
// all), as WeCom does, callbackAttempts times in all.
func (s *Sandbox) deliverRetried(ctx context.Context, openKfID string) error {
	x, err := s.kfCallback(openKfID)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err = s.deliverOK(ctx, x)
		if err == nil || attempt == callbackAttempts {
			return err
		}
		s.log.Warn("kf event callback failed; trying again", "open_kfid", openKfID, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(callbackRetryWait):
		}
	}
}

// callbackAttempts and callbackRetryWait are WeCom's way with a callback the
// product does not answer with 200: it tries again, three times in all.
const (
	callbackAttempts  = 3
	callbackRetryWait = time.Second
)

// notifyKfLater delivers the kf callback in the background: used when the
// event comes from the product's own API call, whose handler must not wait on
// the product's callback handler.
func (s *Sandbox) notifyKfLater(openKfID string) {
	s.async.Add(1)
	go func() {
		defer s.async.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 3*callbackTimeout)
		defer cancel()
		// A short pause lets the product finish the API call that caused it.
		time.Sleep(20 * time.Millisecond)
		if err := s.deliverRetried(ctx, openKfID); err != nil {
			s.log.Warn("kf event callback failed", "open_kfid", openKfID, "err", err)
		}
	}()
}
