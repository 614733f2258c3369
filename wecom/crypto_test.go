package wecom

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/silenceper/wechat/v2/util"
)

// The sample vector from WeCom's WXBizMsgCrypt documentation.
const (
	sampleToken     = "QDG6eK"
	sampleAESKey    = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	sampleReceiveID = "wx5823bf96d3bd56c7"
	sampleSig       = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
	sampleTimestamp = "1409659589"
	sampleNonce     = "263014780"
	sampleEchostr   = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
)

func TestCrypterOfficialVector(t *testing.T) {
	c, err := NewCrypter(sampleToken, sampleAESKey, sampleReceiveID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decrypt(sampleSig, sampleTimestamp, sampleNonce, sampleEchostr)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "1616140317555161061" {
		t.Fatalf("echostr decrypted to %q", got)
	}
}

func TestCrypterRoundTripAndRejections(t *testing.T) {
	c, _ := NewCrypter(sampleToken, sampleAESKey, sampleReceiveID)
	body := []byte("<xml><Content>你好</Content></xml>")
	enc, err := c.Encrypt(body)
	if err != nil {
		t.Fatal(err)
	}
	sig := c.Signature("1", "2", enc)
	got, err := c.Decrypt(sig, "1", "2", enc)
	if err != nil || string(got) != string(body) {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	if _, err := c.Decrypt(sig, "1", "3", enc); !errors.Is(err, ErrSignature) {
		t.Errorf("changed nonce: want ErrSignature, got %v", err)
	}
	other, _ := NewCrypter(sampleToken, sampleAESKey, "wwsomebodyelse")
	enc2, _ := other.Encrypt(body)
	if _, err := c.Decrypt(c.Signature("1", "2", enc2), "1", "2", enc2); !errors.Is(err, ErrReceiveID) {
		t.Errorf("other corp: want ErrReceiveID, got %v", err)
	}
	bad := "AAAA"
	if _, err := c.Decrypt(c.Signature("1", "2", bad), "1", "2", bad); !errors.Is(err, ErrCipher) {
		t.Errorf("short ciphertext: want ErrCipher, got %v", err)
	}
}

func FuzzCrypterOpen(f *testing.F) {
	c, _ := NewCrypter(sampleToken, sampleAESKey, sampleReceiveID)
	f.Add(sampleEchostr)
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		// Signed, so that it reaches decryption; must never panic, and
		// anything but the sample is refused with a reason.
		msg, err := c.Decrypt(c.Signature("1", "2", s), "1", "2", s)
		if err == nil && s != sampleEchostr {
			if _, again := c.Decrypt(c.Signature("1", "2", s), "1", "2", s); again != nil {
				t.Fatalf("decrypts once, not twice: %q", msg)
			}
		}
		if err != nil && !errors.Is(err, ErrCipher) && !errors.Is(err, ErrReceiveID) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// What silenceper's crypto core produces we open, and the other way round:
// the product and the sandbox speak exactly WeCom's format through it.
func TestCrypterInteroperatesWithSilenceper(t *testing.T) {
	c, _ := NewCrypter(sampleToken, sampleAESKey, sampleReceiveID)
	body := []byte("<xml><Event>kf_msg_or_event</Event></xml>")
	theirs, err := util.EncryptMsg([]byte("0123456789abcdef"), body, sampleReceiveID, sampleAESKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decrypt(c.Signature("1", "2", string(theirs)), "1", "2", string(theirs))
	if err != nil || string(got) != string(body) {
		t.Errorf("silenceper's ciphertext: %q, %v", got, err)
	}
	ours, err := c.Encrypt(body)
	if err != nil {
		t.Fatal(err)
	}
	if _, got, err := util.DecryptMsg(sampleReceiveID, ours, sampleAESKey); err != nil || string(got) != string(body) {
		t.Errorf("our ciphertext in silenceper: %q, %v", got, err)
	}
}

// Ciphertexts that are not WeCom's are refused as such, never as another corp's.
func TestCrypterMalformed(t *testing.T) {
	c, _ := NewCrypter(sampleToken, sampleAESKey, sampleReceiveID)
	key, _ := base64.StdEncoding.DecodeString(sampleAESKey + "=")
	encrypt := func(plain []byte) string {
		block, _ := aes.NewCipher(key)
		out := make([]byte, len(plain))
		cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, plain)
		return base64.StdEncoding.EncodeToString(out)
	}
	padded := func(n int, pad byte) []byte {
		p := make([]byte, n)
		for i := n - int(pad); i < n && pad > 0; i++ {
			p[i] = pad
		}
		return p
	}
	lengthTooLarge := padded(64, 4)
	lengthTooLarge[16], lengthTooLarge[17] = 0x7f, 0xff
	tests := map[string]string{
		"not base64":            "%%%",
		"empty":                 "",
		"not whole blocks":      base64.StdEncoding.EncodeToString(make([]byte, 40)),
		"padding zero":          encrypt(padded(64, 0)),
		"padding over 32":       encrypt(padded(64, 33)),
		"length beyond the end": encrypt(lengthTooLarge),
		"no receive id":         encrypt(padded(32, 12)), // 16 random, length 0, nothing after
	}
	for name, enc := range tests {
		if _, err := c.Decrypt(c.Signature("1", "2", enc), "1", "2", enc); !errors.Is(err, ErrCipher) {
			t.Errorf("%s: %v, want ErrCipher", name, err)
		}
	}
}
