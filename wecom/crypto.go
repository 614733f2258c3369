// Package wecom is the product's adapter over github.com/silenceper/wechat/v2:
// callback crypto with the checks silenceper skips, the kf and app API calls the
// product makes, the access-token cache shared across replicas, and an HTTP
// client that can point every call at another API base (the local sandbox).
package wecom

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Crypto errors. Callers answer WeCom with 4xx for each of them.
var (
	ErrSignature = errors.New("wecom: signature mismatch")
	ErrReceiveID = errors.New("wecom: receive id mismatch")
	ErrCipher    = errors.New("wecom: malformed ciphertext")
)

// Crypter signs, encrypts and decrypts callback payloads the way WeCom's
// WXBizMsgCrypt does: AES-256-CBC, IV = key[:16], PKCS#7 padding to 32 bytes,
// plaintext = random(16) ‖ uint32 length ‖ message ‖ receive id.
type Crypter struct {
	token     string
	key       []byte
	receiveID string
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
	return &Crypter{token: token, key: key, receiveID: receiveID}, nil
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
func (c *Crypter) Decrypt(msgSignature, timestamp, nonce, encrypted string) ([]byte, error) {
	if err := c.Verify(msgSignature, timestamp, nonce, encrypted); err != nil {
		return nil, err
	}
	msg, receiveID, err := c.open(encrypted)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(receiveID), []byte(c.receiveID)) != 1 {
		return nil, ErrReceiveID
	}
	return msg, nil
}

func (c *Crypter) open(encrypted string) (msg []byte, receiveID string, err error) {
	data, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil || len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, "", ErrCipher
	}
	block, err := aes.NewCipher(c.key)
	if err != nil {
		return nil, "", err
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, c.key[:aes.BlockSize]).CryptBlocks(plain, data)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > 32 || pad > len(plain) {
		return nil, "", ErrCipher
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, "", ErrCipher
	}
	n := binary.BigEndian.Uint32(plain[16:20])
	if uint64(n) > uint64(len(plain)-20) {
		return nil, "", ErrCipher
	}
	return plain[20 : 20+n], string(plain[20+n:]), nil
}

// Encrypt returns base64(AES(random(16) ‖ len ‖ msg ‖ receive id)).
func (c *Crypter) Encrypt(msg []byte) (string, error) {
	var buf bytes.Buffer
	random := make([]byte, 16)
	if _, err := io.ReadFull(rand.Reader, random); err != nil {
		return "", err
	}
	buf.Write(random)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(msg)))
	buf.Write(n[:])
	buf.Write(msg)
	buf.WriteString(c.receiveID)
	pad := 32 - buf.Len()%32
	buf.Write(bytes.Repeat([]byte{byte(pad)}, pad))

	block, err := aes.NewCipher(c.key)
	if err != nil {
		return "", err
	}
	out := make([]byte, buf.Len())
	cipher.NewCBCEncrypter(block, c.key[:aes.BlockSize]).CryptBlocks(out, buf.Bytes())
	return base64.StdEncoding.EncodeToString(out), nil
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
