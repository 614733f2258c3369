// Package wecom is the product's WeCom adapter: callback crypto (silenceper's
// AES and receive-id check, github.com/silenceper/wechat/v2, under our own
// constant-time signature check), and our own client for the kf and app API
// calls the product makes, with contexts, errcodes, the access-token cache
// shared across replicas (the token also held in process while it is
// valid), WeCom's pauses and the call budget (checked together, one Redis
// round trip per call), pointed at any API base (the local sandbox too). The
// README says why the API client is ours ("WeCom: what comes from
// silenceper/wechat").
package wecom

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/silenceper/wechat/v2/util"
)

// Crypto errors. Callers answer WeCom with 4xx for each of them.
var (
	ErrSignature = errors.New("wecom: signature mismatch")
	ErrReceiveID = errors.New("wecom: receive id mismatch")
	ErrCipher    = errors.New("wecom: malformed ciphertext")
)

// Crypter signs, encrypts and decrypts callback payloads the way WeCom's
// WXBizMsgCrypt does: AES-256-CBC, IV = key[:16], PKCS#7 padding to 32 bytes,
// plaintext = random(16) ‖ uint32 length ‖ message ‖ receive id. The AES
// part and the receive-id check are silenceper/wechat's (util); the
// signature, which silenceper's kf receiver skips on POST, is checked here in
// constant time before anything is decrypted.
type Crypter struct {
	token          string
	encodingAESKey string // as configured, for silenceper's util
	key            []byte // decoded, for classifying failures
	receiveID      string
}

// NewCrypter checks the EncodingAESKey (43 characters of base64) and returns a
// Crypter. The error never contains the key.
func NewCrypter(token, encodingAESKey, receiveID string) (*Crypter, error) {
	if token == "" {
		return nil, errors.New("wecom: callback token is empty")
	}
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("wecom: EncodingAESKey must be 43 characters, got %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("wecom: EncodingAESKey is not valid base64 of 32 bytes")
	}
	return &Crypter{token: token, encodingAESKey: encodingAESKey, key: key, receiveID: receiveID}, nil
}

// ReceiveID is the corp id (or suite id) the plaintexts must end with.
func (c *Crypter) ReceiveID() string { return c.receiveID }

// Signature is sha1 over the sorted token, timestamp, nonce and ciphertext.
func (c *Crypter) Signature(timestamp, nonce, encrypted string) string {
	parts := []string{c.token, timestamp, nonce, encrypted}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// Verify checks msgSignature in constant time.
func (c *Crypter) Verify(msgSignature, timestamp, nonce, encrypted string) error {
	want := c.Signature(timestamp, nonce, encrypted)
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(msgSignature))) != 1 {
		return ErrSignature
	}
	return nil
}

// Decrypt verifies the signature, decrypts, and checks the receive id.
//
// The signature check is ours, in constant time, and comes first: nothing is
// decrypted for a caller who cannot sign. Decryption and the receive-id check
// are silenceper/wechat's message crypto (util.DecryptMsg: base64, AES-256-CBC
// with IV = key[:16], PKCS#7 to 32 bytes, the length prefix, the receive id
// at the end). Its errors are sentences, so a failure is classified once more
// with its AES core alone: if the ciphertext opens there, the receive id was
// wrong (ErrReceiveID); otherwise it was not a WeCom ciphertext (ErrCipher).
func (c *Crypter) Decrypt(msgSignature, timestamp, nonce, encrypted string) ([]byte, error) {
	if err := c.Verify(msgSignature, timestamp, nonce, encrypted); err != nil {
		return nil, err
	}
	_, msg, err := util.DecryptMsg(c.receiveID, encrypted, c.encodingAESKey)
	if err == nil {
		return msg, nil
	}
	if data, derr := base64.StdEncoding.DecodeString(encrypted); derr == nil && opens(data, c.key) {
		return nil, ErrReceiveID
	}
	return nil, ErrCipher
}

// opens reports whether silenceper's AES core takes data apart without error.
// It may panic on input it does not expect; that is a malformed ciphertext.
func opens(data, key []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	_, _, _, err := util.AESDecryptMsg(data, key)
	return err == nil
}

// Encrypt returns base64(AES(random(16) ‖ len ‖ msg ‖ receive id)), by
// silenceper/wechat's util.EncryptMsg with 16 random bytes of our own.
func (c *Crypter) Encrypt(msg []byte) (string, error) {
	random := make([]byte, 16)
	if _, err := io.ReadFull(rand.Reader, random); err != nil {
		return "", err
	}
	out, err := util.EncryptMsg(random, msg, c.receiveID, c.encodingAESKey)
	if err != nil {
		return "", fmt.Errorf("wecom: encrypt: %w", err)
	}
	return string(out), nil
}

// Envelope is the encrypted POST body WeCom sends to a callback URL (and that
// the sandbox sends to the product).
type Envelope struct {
	XMLName    struct{} `xml:"xml"`
	ToUserName string   `xml:"ToUserName"`
	AgentID    string   `xml:"AgentID"`
	Encrypt    string   `xml:"Encrypt"`
}

// Seal encrypts msg and signs it, returning the POST body and the query
// parameters a callback carries. The sandbox uses it to play WeCom.
func (c *Crypter) Seal(msg []byte, timestamp, nonce string) (body []byte, msgSignature string, err error) {
	enc, err := c.Encrypt(msg)
	if err != nil {
		return nil, "", err
	}
	sig := c.Signature(timestamp, nonce, enc)
	body = []byte("<xml><ToUserName><![CDATA[" + c.receiveID + "]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>")
	return body, sig, nil
}
