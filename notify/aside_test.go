package notify_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

// An outbox message nobody can open (here: another citizen's message copied
// over it) is set aside as failed; the others are sent.
func TestUnreadableMessageDoesNotStopTheOutbox(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.contact(t, "wmU1", f.now, 0)
	f.contact(t, "wmU2", f.now, 0)
	bad := f.enqueue(t, 0, "wmU1", "给一号群众", cases.PriorityNormal)
	f.enqueue(t, 0, "wmU2", "给二号群众", cases.PriorityNormal)
	raw := f.db.DB()
	if _, err := raw.ExecContext(ctx, "UPDATE outbox SET message = (SELECT message FROM (SELECT message FROM outbox WHERE recipient = 'wmU2') AS m) WHERE id = ?", bad.ID); err != nil {
		t.Fatal(err)
	}

	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	if diff := cmp.Diff([]string{"wmU2: 给二号群众"}, f.api.kf); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
	var status, lastError string
	if err := raw.QueryRowContext(ctx, "SELECT status, last_error FROM outbox WHERE id = ?", bad.ID).Scan(&status, &lastError); err != nil {
		t.Fatal(err)
	}
	if status != string(cases.OutboxFailed) || lastError != "set aside: unreadable" {
		t.Errorf("unreadable message: %s, %q; want failed, set aside", status, lastError)
	}
	rows, err := f.db.SetAsideRows(ctx, 10)
	if err != nil || len(rows) != 1 || rows[0].Table != "outbox" || rows[0].ExternalUserID != "wmU1" {
		t.Errorf("set aside: %+v, %v", rows, err)
	}
}
