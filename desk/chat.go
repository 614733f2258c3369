package desk

import (
	"context"
	"fmt"

	"banchengshi/cases"
)

// chatStatuses are the statuses of the case a citizen's chat is about when
// it happens outside the dialog: one still being worked on, or resolved and
// waiting for the citizen's follow-up answer.
var chatStatuses = []cases.Status{cases.StatusSubmitted, cases.StatusAccepted, cases.StatusAssigned, cases.StatusInProgress, cases.StatusResolved}

// RecordChat puts on the reporter's newest open or resolved case, inside r's
// transaction, what passed in their chat outside the dialog: their words
// while a person has the chat, a servicer's reply from the WeCom client, a
// message they recalled. The case timeline is where staff read the whole
// story. A reporter without such a case has nothing recorded.
func (d *Desk) RecordChat(ctx context.Context, r cases.Repo, reporterID string, actor cases.Actor, kind cases.EventKind, body string) error {
	list, err := r.ListCases(ctx, cases.Filter{ReporterID: reporterID, Status: chatStatuses, Limit: 1})
	if err != nil {
		return fmt.Errorf("find open case: %w", err)
	}
	if len(list) == 0 {
		return nil
	}
	t := &txDesk{Desk: d, r: r}
	return t.append(ctx, list[0].ID, &cases.Event{At: d.now().UTC(), Actor: actor, Kind: kind, Body: body})
}
