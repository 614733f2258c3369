// Package intake fetches, orders and dispatches what WeCom sends us: it
// stores every callback before the callback is answered, pulls 微信客服
// messages with kf sync_msg (one puller and one cursor per kf account, saved
// after every page), and hands each message, in each citizen's order, to the
// citizen dialog (bot) or the staff side, inside one transaction with its
// effects. Handling runs on every replica: workers take the citizens who have
// waited longest, each under a lease of the citizen's own (workers.go), so a
// citizen's messages are never handled by two workers at once.
//
// It owns the inbox and the kf cursor and nothing after them: the citizen's
// 48-hour window, held messages and the outbox belong to notify
// (notify.CitizenWrote; replies and staff messages are queued through
// notify/queue), case timelines to desk (Timeline).
package intake
