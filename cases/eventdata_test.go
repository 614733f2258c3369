package cases

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestEventDataKeepsTheStoredForm compares each payload's JSON with the text
// the service wrote before the payloads had types (fmt.Sprintf), byte for
// byte: stored rows and new rows must read alike.
func TestEventDataKeepsTheStoredForm(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Payload
		old  string
	}{
		{"outbox fate", OutboxFate{OutboxID: 42, Status: OutboxPhoneTask}, fmt.Sprintf(`{"outbox_id":%d,"status":%q}`, 42, "phone_task")},
		{"sms fate", SMSFate{SMSID: 7, Status: SMSSent}, fmt.Sprintf(`{"sms_id":%d,"status":%q}`, 7, "sent")},
		{"attachment", AttachmentData{AttachmentID: 9001}, fmt.Sprintf(`{"attachment_id":%d}`, 9001)},
		{"light change", LightChange{Light: LightRed, From: LightYellow}, fmt.Sprintf(`{"light":%q,"from":%q}`, "red", "yellow")},
		{"light first set", LightChange{Light: LightGreen}, fmt.Sprintf(`{"light":%q,"from":%q}`, "green", "")},
		{"follow-up reminder", FollowUpData{FollowUp: FollowUpReminder}, `{"followup":"reminder"}`},
		{"follow-up phone task", FollowUpData{FollowUp: FollowUpPhoneTask}, `{"followup":"phone_task"}`},
		{"rating", RatingData{Rating: 2, Text: "基本满意"}, `{"rating":2,"text":"基本满意"}`},
		{"accept", MoveData{Action: ActionAccept, From: StatusSubmitted, To: StatusAccepted}, `{"action":"accept","from":"submitted","to":"accepted"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := EventData(tc.p); got != tc.old {
				t.Errorf("EventData = %s\nwant the stored form %s", got, tc.old)
			}
		})
	}
}

// TestParseDataReadsStoredRows reads rows as the events table holds them.
func TestParseDataReadsStoredRows(t *testing.T) {
	deadline := time.Date(2025, 11, 3, 16, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		stored string
		into   Payload // a pointer to the zero payload
		want   Payload
	}{
		{"outbox fate", `{"outbox_id":42,"status":"held"}`, &OutboxFate{}, &OutboxFate{OutboxID: 42, Status: OutboxHeld}},
		{"sms fate", `{"sms_id":7,"status":"failed"}`, &SMSFate{}, &SMSFate{SMSID: 7, Status: SMSFailed}},
		{"attachment", `{"attachment_id":3}`, &AttachmentData{}, &AttachmentData{AttachmentID: 3}},
		{"light change", `{"light":"yellow","from":"green"}`, &LightChange{}, &LightChange{Light: LightYellow, From: LightGreen}},
		{"follow-up", `{"followup":"phone_task"}`, &FollowUpData{}, &FollowUpData{FollowUp: FollowUpPhoneTask}},
		{"rating", `{"rating":5,"text":"不满意"}`, &RatingData{}, &RatingData{Rating: 5, Text: "不满意"}},
		{"submitted", `{"action":"submit","to":"submitted","dept":"housing","limit_days":5,"deadline":"2025-11-03T16:00:00Z"}`, &MoveData{},
			&MoveData{Action: ActionSubmit, To: StatusSubmitted, Dept: "housing", LimitDays: 5, Deadline: &deadline}},
		{"ask material", `{"action":"ask_material","text":"请补充照片"}`, &MoveData{}, &MoveData{Action: ActionAskMaterial, Text: "请补充照片"}},
		{"assign with co-departments", `{"action":"assign","from":"accepted","to":"assigned","dept":"a","co_depts":["b","c"]}`, &MoveData{},
			&MoveData{Action: ActionAssign, From: StatusAccepted, To: StatusAssigned, Dept: "a", CoDepts: []string{"b", "c"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ParseData(tc.stored, tc.into); err != nil {
				t.Fatalf("ParseData(%s): %v", tc.stored, err)
			}
			if diff := cmp.Diff(tc.want, tc.into); diff != "" {
				t.Errorf("ParseData(%s) (-want +got):\n%s", tc.stored, diff)
			}
			if got := EventData(tc.into); got != tc.stored {
				t.Errorf("written again as %s, want %s", got, tc.stored)
			}
		})
	}
}

func TestParseDataRefusesMalformed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stored string
		into   Payload
	}{
		{"not json", `{"outbox_id":42,`, &OutboxFate{}},
		{"wrong type", `{"outbox_id":"42","status":"sent"}`, &OutboxFate{}},
		{"a list", `[1,2]`, &AttachmentData{}},
		{"text where a number is", `{"rating":"好","text":""}`, &RatingData{}},
		{"not a pointer", `{"attachment_id":3}`, AttachmentData{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ParseData(tc.stored, tc.into); err == nil {
				t.Errorf("ParseData(%s) into %T accepted it", tc.stored, tc.into)
			}
		})
	}
	if err := ParseData("", &MoveData{}); !errors.Is(err, ErrNoData) {
		t.Errorf("ParseData of an event without data = %v, want ErrNoData", err)
	}
}
