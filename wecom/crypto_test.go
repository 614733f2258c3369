package wecom

import (
	"errors"
	"testing"
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
		_, _, _ = c.open(s) // must never panic
	})
}
