package handlers

import (
	"bytes"
	"encoding/json"

	"banchengshi/cases"
	"banchengshi/pii"
)

// The JSON API shows what the staff pages show anyone who has not asked to
// see a case's personal data: ID and phone numbers masked in their fields,
// and in free text (what citizens wrote, what staff noted, the messages sent)
// masked by pii.MaskText, the function the pages use.

// maskedCase copies c with its personal data and free text masked.
func maskedCase(c *cases.Case) *cases.Case {
	cp := *c
	cp.Affected.IDNumber = pii.MaskID(cp.Affected.IDNumber)
	cp.Affected.Phone = pii.MaskPhone(cp.Affected.Phone)
	cp.ContactPhone = pii.MaskPhone(cp.ContactPhone)
	for _, s := range []*string{&cp.TriedWindow, &cp.TriedWhen, &cp.TriedAnswer, &cp.Description,
		&cp.Resolution, &cp.Accountability, &cp.CommonTag} {
		*s = pii.MaskText(*s)
	}
	return &cp
}

// maskedEvents copies a timeline with its text and the strings in its
// structured detail masked.
func maskedEvents(events []cases.Event) []cases.Event {
	out := make([]cases.Event, len(events))
	for i, e := range events {
		e.Body = pii.MaskText(e.Body)
		e.Data = maskedJSON(e.Data)
		out[i] = e
	}
	return out
}

// maskedAttachments masks file names, which citizens' phones sometimes fill
// with numbers.
func maskedAttachments(atts []cases.Attachment) []cases.Attachment {
	out := make([]cases.Attachment, len(atts))
	for i, a := range atts {
		a.FileName = pii.MaskText(a.FileName)
		out[i] = a
	}
	return out
}

// maskedOutbox copies notifications with every text they carry masked.
func maskedOutbox(list []*cases.OutboxMessage) []*cases.OutboxMessage {
	out := make([]*cases.OutboxMessage, len(list))
	for i, m := range list {
		cp := *m
		msg := &cp.Message
		msg.Text = pii.MaskText(msg.Text)
		msg.MenuTail = pii.MaskText(msg.MenuTail)
		if msg.Menu != nil {
			msg.Menu = append([]cases.MenuItem(nil), msg.Menu...)
			for j := range msg.Menu {
				msg.Menu[j].Text = pii.MaskText(msg.Menu[j].Text)
			}
		}
		if msg.Card != nil {
			card := *msg.Card
			card.Title, card.Desc = pii.MaskText(card.Title), pii.MaskText(card.Desc)
			card.Fields = append([]cases.CardField(nil), card.Fields...)
			for j := range card.Fields {
				card.Fields[j].Value = pii.MaskText(card.Fields[j].Value)
			}
			msg.Card = &card
		}
		if msg.CardUpdate != nil {
			u := *msg.CardUpdate
			u.ReplaceText = pii.MaskText(u.ReplaceText)
			msg.CardUpdate = &u
		}
		cp.LastError = pii.MaskText(cp.LastError)
		out[i] = &cp
	}
	return out
}

// maskedJSON masks every string inside a JSON document, keeping its shape
// and its numbers; what is not JSON is masked as text.
func maskedJSON(doc string) string {
	if doc == "" {
		return doc
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return pii.MaskText(doc)
	}
	b, err := json.Marshal(maskStrings(v))
	if err != nil {
		return pii.MaskText(doc)
	}
	return string(b)
}

func maskStrings(v any) any {
	switch x := v.(type) {
	case string:
		return pii.MaskText(x)
	case []any:
		for i := range x {
			x[i] = maskStrings(x[i])
		}
	case map[string]any:
		for k, val := range x {
			x[k] = maskStrings(val)
		}
	}
	return v
}
