package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/sandbox"
)

// The answers are matched to the messages by their phrase, so that one
// missing or late answer does not make every later one look wrong.
func TestMatchAnswersToMessages(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	asked := func(n int) []sandbox.ChatLine {
		var l []sandbox.ChatLine
		for k := range n {
			l = append(l, sandbox.ChatLine{From: "citizen", Text: script[k].say, At: t0.Add(time.Duration(k) * time.Second)})
		}
		return l
	}
	answer := func(k int, text string) sandbox.ChatLine {
		return sandbox.ChatLine{From: "bot", Text: "……" + text + "……", At: t0.Add(time.Duration(k)*time.Second + 100*time.Millisecond)}
	}
	type counts struct{ Answered, Unanswered, Twice, WrongOrder int }
	tests := []struct {
		name    string
		answers []sandbox.ChatLine
		want    counts
	}{
		{"all in order", []sandbox.ChatLine{answer(0, "请问您要办什么"), answer(1, "谁遇到的"), answer(2, "姓名")}, counts{3, 0, 0, 0}},
		{"middle one missing", []sandbox.ChatLine{answer(0, "请问您要办什么"), answer(2, "姓名")}, counts{2, 1, 0, 0}},
		{"last one missing", []sandbox.ChatLine{answer(0, "请问您要办什么"), answer(1, "谁遇到的")}, counts{2, 1, 0, 0}},
		{"one sent twice", []sandbox.ChatLine{answer(0, "请问您要办什么"), answer(0, "请问您要办什么"), answer(1, "谁遇到的"), answer(2, "姓名")}, counts{3, 0, 1, 0}},
		{"repeat at the end", []sandbox.ChatLine{answer(0, "请问您要办什么"), answer(1, "谁遇到的"), answer(2, "姓名"), answer(1, "谁遇到的")}, counts{3, 0, 1, 0}},
		{"first answered last", []sandbox.ChatLine{answer(1, "谁遇到的"), answer(2, "姓名"), answer(2, "请问您要办什么")}, counts{3, 0, 0, 1}},
		{"an answer mentioning two steps", []sandbox.ChatLine{answer(0, "请问您要办什么"), answer(1, "谁遇到的…请问您要办什么"), answer(2, "姓名")}, counts{3, 0, 0, 0}},
		{"an unrelated answer", []sandbox.ChatLine{answer(0, "请问您要办什么"), answer(1, "系统繁忙"), answer(1, "谁遇到的"), answer(2, "姓名")}, counts{3, 0, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o outcome
			var lat []time.Duration
			o.match(asked(3), tt.answers, &lat)
			got := counts{o.Answered, o.Unanswered, o.Twice, o.WrongOrder}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			if len(lat) != o.Answered || len(o.pairs) != 3 {
				t.Errorf("%d latencies and %d pairs for %d answered of 3", len(lat), len(o.pairs), o.Answered)
			}
		})
	}
}
