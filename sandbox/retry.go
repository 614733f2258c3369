package sandbox

import "context"

// RetryKfCallback delivers the kf_msg_or_event callback again with a fresh
// sync Token, as WeCom does (three attempts in all) when the product did not
// answer a callback with 200. The messages stay where sync_msg finds them
// either way; this only tells the product again. The load and fault runs
// call it to play WeCom's retries.
func (s *Sandbox) RetryKfCallback(ctx context.Context, openKfID string) error {
	return s.notifyKf(ctx, openKfID)
}
