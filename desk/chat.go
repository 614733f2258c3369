package desk

import (
	"context"
	"fmt"

	"banchengshi/cases"
)

// RecordChat puts on the reporter's newest unfinished case (being worked on,
// or resolved and waiting for the follow-up answer), inside r's transaction,
// what passed in their chat outside the dialog: their words while a person
// has the chat, a servicer's reply from the WeCom client, a message they
// recalled. The case timeline is where staff read the whole story. A reporter
// without such a case has nothing recorded.
func (d *Desk) RecordChat(ctx context.Context, r cases.Repo, reporterID string, actor cases.Actor, kind cases.EventKind, body string) error {
	list, err := r.ListCases(ctx, cases.Filter{ReporterID: reporterID, Status: cases.UnfinishedStatuses(), Limit: 1})
	if err != nil {
		return fmt.Errorf("find open case: %w", err)
	}
	if len(list) == 0 {
		return nil
	}
	t := &txDesk{Desk: d, r: r}
	return t.append(ctx, list[0].ID, &cases.Event{At: d.now().UTC(), Actor: actor, Kind: kind, Body: body})
}
