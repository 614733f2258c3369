package wecom

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

// Plaintexts in the shape of WeCom's documentation.
const (
	kfEventXML = `<xml>
   <ToUserName><![CDATA[ww12345678910]]></ToUserName>
   <CreateTime>1348831860</CreateTime>
   <MsgType><![CDATA[event]]></MsgType>
   <Event><![CDATA[kf_msg_or_event]]></Event>
   <Token><![CDATA[ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR]]></Token>
   <OpenKfId><![CDATA[wkxxxxxxx]]></OpenKfId>
</xml>`

	appTextXML = `<xml>
   <ToUserName><![CDATA[ww12345678910]]></ToUserName>
   <FromUserName><![CDATA[zhangsan]]></FromUserName>
   <CreateTime>1348831860</CreateTime>
   <MsgType><![CDATA[text]]></MsgType>
   <Content><![CDATA[受理 0007]]></Content>
   <MsgId>1234567890123456</MsgId>
   <AgentID>1000002</AgentID>
</xml>`

	appImageXML = `<xml>
   <ToUserName><![CDATA[ww12345678910]]></ToUserName>
   <FromUserName><![CDATA[lisi]]></FromUserName>
   <CreateTime>1348831861</CreateTime>
   <MsgType><![CDATA[image]]></MsgType>
   <PicUrl><![CDATA[https://wework.qpic.cn/x]]></PicUrl>
   <MediaId><![CDATA[media_id_1]]></MediaId>
   <MsgId>1234567890123457</MsgId>
   <AgentID>1000002</AgentID>
</xml>`

	appVoiceXML = `<xml>
   <ToUserName><![CDATA[ww12345678910]]></ToUserName>
   <FromUserName><![CDATA[lisi]]></FromUserName>
   <CreateTime>1348831862</CreateTime>
   <MsgType><![CDATA[voice]]></MsgType>
   <MediaId><![CDATA[media_id_2]]></MediaId>
   <Format><![CDATA[amr]]></Format>
   <MsgId>1234567890123458</MsgId>
   <AgentID>1000002</AgentID>
</xml>`

	cardEventXML = `<xml>
   <ToUserName><![CDATA[ww12345678910]]></ToUserName>
   <FromUserName><![CDATA[zhangsan]]></FromUserName>
   <CreateTime>1348831863</CreateTime>
   <MsgType><![CDATA[event]]></MsgType>
   <Event><![CDATA[template_card_event]]></Event>
   <EventKey><![CDATA[accept:BC2611280007]]></EventKey>
   <TaskId><![CDATA[BC2611280007-new-1]]></TaskId>
   <CardType><![CDATA[button_interaction]]></CardType>
   <ResponseCode><![CDATA[ResponseCode_abc]]></ResponseCode>
   <AgentID>1000002</AgentID>
   <SelectedItems>
       <SelectedItem>
           <QuestionKey><![CDATA[q1]]></QuestionKey>
           <OptionIds><OptionId><![CDATA[o1]]></OptionId><OptionId><![CDATA[o2]]></OptionId></OptionIds>
       </SelectedItem>
   </SelectedItems>
</xml>`

	enterAgentXML = `<xml>
   <ToUserName><![CDATA[ww12345678910]]></ToUserName>
   <FromUserName><![CDATA[wangwu]]></FromUserName>
   <CreateTime>1408091189</CreateTime>
   <MsgType><![CDATA[event]]></MsgType>
   <Event><![CDATA[enter_agent]]></Event>
   <EventKey><![CDATA[]]></EventKey>
   <AgentID><![CDATA[]]></AgentID>
</xml>`
)

func TestParseCallback(t *testing.T) {
	tests := []struct {
		name     string
		xml      string
		want     Callback
		wantKind string
		wantKey  string
	}{
		{
			name: "kf event", xml: kfEventXML,
			want: Callback{ToUserName: "ww12345678910", CreateTime: 1348831860, MsgType: "event", Event: "kf_msg_or_event",
				Token: "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR", OpenKfID: "wkxxxxxxx"},
			wantKind: cases.InboundKf,
			wantKey:  "kf:wkxxxxxxx:ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR",
		},
		{
			name: "app text", xml: appTextXML,
			want: Callback{ToUserName: "ww12345678910", FromUserName: "zhangsan", CreateTime: 1348831860, MsgType: "text",
				Content: "受理 0007", MsgID: "1234567890123456", AgentID: 1000002},
			wantKind: cases.InboundAppMessage,
			wantKey:  "msg:1234567890123456",
		},
		{
			name: "app image", xml: appImageXML,
			want: Callback{ToUserName: "ww12345678910", FromUserName: "lisi", CreateTime: 1348831861, MsgType: "image",
				PicURL: "https://wework.qpic.cn/x", MediaID: "media_id_1", MsgID: "1234567890123457", AgentID: 1000002},
			wantKind: cases.InboundAppMessage,
			wantKey:  "msg:1234567890123457",
		},
		{
			name: "app voice", xml: appVoiceXML,
			want: Callback{ToUserName: "ww12345678910", FromUserName: "lisi", CreateTime: 1348831862, MsgType: "voice",
				MediaID: "media_id_2", Format: "amr", MsgID: "1234567890123458", AgentID: 1000002},
			wantKind: cases.InboundAppMessage,
			wantKey:  "msg:1234567890123458",
		},
		{
			name: "card button click", xml: cardEventXML,
			want: Callback{ToUserName: "ww12345678910", FromUserName: "zhangsan", CreateTime: 1348831863, MsgType: "event",
				Event: "template_card_event", EventKey: "accept:BC2611280007", TaskID: "BC2611280007-new-1",
				CardType: "button_interaction", ResponseCode: "ResponseCode_abc", AgentID: 1000002,
				SelectedItems: []CardSelectedItem{{QuestionKey: "q1", OptionIDs: []string{"o1", "o2"}}}},
			wantKind: cases.InboundAppEvent,
			wantKey:  "evt:zhangsan:1348831863:template_card_event:accept:BC2611280007",
		},
		{
			name: "enter agent with empty AgentID", xml: enterAgentXML,
			want: Callback{ToUserName: "ww12345678910", FromUserName: "wangwu", CreateTime: 1408091189, MsgType: "event",
				Event: "enter_agent"},
			wantKind: cases.InboundAppEvent,
			wantKey:  "evt:wangwu:1408091189:enter_agent:",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCallback([]byte(tt.xml))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("ParseCallback (-want +got):\n%s", diff)
			}
			if k := got.Kind(); k != tt.wantKind {
				t.Errorf("Kind = %q, want %q", k, tt.wantKind)
			}
			if k := got.DedupeKey(); k != tt.wantKey {
				t.Errorf("DedupeKey = %q, want %q", k, tt.wantKey)
			}
		})
	}
}

func TestDedupeKeysTellRepeatsFromNews(t *testing.T) {
	parse := func(s string) string {
		c, err := ParseCallback([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return c.DedupeKey()
	}
	// Two clicks by the same person in the same second on different buttons
	// are different events; the same click delivered again is a repeat.
	other := strings.Replace(cardEventXML, "accept:BC2611280007", "more:BC2611280007", 1)
	if parse(cardEventXML) == parse(other) {
		t.Error("clicks on two buttons share a dedupe key")
	}
	if parse(cardEventXML) != parse(cardEventXML) {
		t.Error("a repeated callback has a different key")
	}
	newToken := strings.Replace(kfEventXML, "ENCApHxn", "ENCBpHxn", 1)
	if parse(kfEventXML) == parse(newToken) {
		t.Error("kf events with different tokens share a dedupe key")
	}
}

func TestParseCallbackRejects(t *testing.T) {
	tests := []struct {
		name string
		xml  string
		want string
	}{
		{"empty", "", "empty document"},
		{"not XML", "hello", "empty document"},
		{"truncated", "<xml><MsgType>text</MsgType>", "syntax error"},
		{"other root", "<html><MsgType>text</MsgType></html>", "not a callback document"},
		{"no MsgType", "<xml><Content>x</Content></xml>", "no MsgType"},
		{"kf without token", "<xml><MsgType>event</MsgType><Event>kf_msg_or_event</Event><OpenKfId>wk</OpenKfId></xml>", "kf event without"},
		{"app message without MsgId", "<xml><MsgType>text</MsgType><Content>x</Content></xml>", "without MsgId"},
		{"event without sender", "<xml><MsgType>event</MsgType><Event>click</Event><CreateTime>1</CreateTime></xml>", "app event without"},
		{"bad number", "<xml><MsgType>text</MsgType><MsgId>1</MsgId><CreateTime>soon</CreateTime></xml>", "not a number"},
		{"too big", "<xml><Content>" + strings.Repeat("a", maxCallbackXML) + "</Content></xml>", "bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCallback([]byte(tt.xml))
			if !errors.Is(err, ErrCallback) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want ErrCallback mentioning %q, got %v", tt.want, err)
			}
		})
	}
}

func TestParseCallbackErrorsDoNotQuoteInput(t *testing.T) {
	secret := "110101196107150012"
	_, err := ParseCallback([]byte("<xml><Content>" + secret + "&" + secret + ";</Content></xml>"))
	if err == nil {
		t.Fatal("want an error for a bad entity")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error quotes the input: %v", err)
	}
}

func TestParseEnvelopeAndDecrypt(t *testing.T) {
	cr, err := NewCrypter(sampleToken, sampleAESKey, sampleReceiveID)
	if err != nil {
		t.Fatal(err)
	}
	body, sig, err := cr.Seal([]byte(kfEventXML), "1409659589", "263014780")
	if err != nil {
		t.Fatal(err)
	}
	env, err := ParseEnvelope(body)
	if err != nil {
		t.Fatal(err)
	}
	if env.ToUserName != sampleReceiveID {
		t.Errorf("ToUserName %q", env.ToUserName)
	}
	plain, err := cr.Decrypt(sig, "1409659589", "263014780", env.Encrypt)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := ParseCallback(plain)
	if err != nil {
		t.Fatal(err)
	}
	if cb.Kind() != cases.InboundKf || cb.OpenKfID != "wkxxxxxxx" {
		t.Errorf("decrypted callback: kind %q, open kfid %q", cb.Kind(), cb.OpenKfID)
	}

	// WeCom's own layout, with AgentID before Encrypt.
	env, err = ParseEnvelope([]byte("<xml>\n<ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<AgentID><![CDATA[218]]></AgentID>\n<Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo]]></Encrypt>\n</xml>"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Envelope{ToUserName: "wx5823bf96d3bd56c7", AgentID: "218", Encrypt: "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo"}
	if diff := cmp.Diff(want, env); diff != "" {
		t.Errorf("envelope (-want +got):\n%s", diff)
	}
}

func TestParseEnvelopeRejects(t *testing.T) {
	for name, body := range map[string]string{
		"empty":      "",
		"no Encrypt": "<xml><ToUserName>ww</ToUserName></xml>",
		"other root": "<html><Encrypt>x</Encrypt></html>",
		"too big":    "<xml><Encrypt>" + strings.Repeat("A", maxCallbackXML) + "</Encrypt></xml>",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseEnvelope([]byte(body)); !errors.Is(err, ErrCallback) {
				t.Errorf("want ErrCallback, got %v", err)
			}
		})
	}
}

func FuzzParseCallback(f *testing.F) {
	for _, s := range []string{kfEventXML, appTextXML, appImageXML, appVoiceXML, cardEventXML, enterAgentXML, "", "<xml>", "<xml><MsgType>event</MsgType></xml>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCallback(data)
		if err != nil {
			if !errors.Is(err, ErrCallback) {
				t.Fatalf("error not wrapping ErrCallback: %v", err)
			}
			return
		}
		switch c.Kind() {
		case cases.InboundKf, cases.InboundAppMessage, cases.InboundAppEvent:
		default:
			t.Fatalf("unknown kind %q", c.Kind())
		}
		key := c.DedupeKey()
		// A parsed callback always has the fields its key is made of.
		for _, prefix := range []string{"kf::", "msg:", "evt::"} {
			if key == prefix {
				t.Fatalf("empty dedupe key %q", key)
			}
		}
		if strings.HasSuffix(key, ":") && c.Kind() == cases.InboundKf {
			t.Fatalf("kf key without token: %q", key)
		}
	})
}

func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte("<xml><ToUserName><![CDATA[ww]]></ToUserName><Encrypt><![CDATA[abc]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>"))
	f.Add([]byte("<xml></xml>"))
	f.Add([]byte(""))
	cr, _ := NewCrypter(sampleToken, sampleAESKey, sampleReceiveID)
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseEnvelope(data)
		if err != nil {
			if !errors.Is(err, ErrCallback) {
				t.Fatalf("error not wrapping ErrCallback: %v", err)
			}
			return
		}
		if e.Encrypt == "" {
			t.Fatal("envelope without Encrypt accepted")
		}
		// Whatever the envelope holds, decryption fails cleanly or succeeds.
		_, _ = cr.Decrypt(cr.Signature("1", "2", e.Encrypt), "1", "2", e.Encrypt)
	})
}
