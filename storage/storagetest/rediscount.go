package storagetest

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"

	"banchengshi/storage"
)

// RedisCounter counts what a go-redis client sends, as its hooks see it:
// commands (a script run is one, EVALSHA) and round trips (a pipeline of
// several commands is one).
type RedisCounter struct {
	mu         sync.Mutex
	commands   []string
	roundTrips int
}

// CountRedis starts counting what r sends from now on.
func CountRedis(r *storage.Redis) *RedisCounter {
	c := &RedisCounter{}
	r.Client().AddHook(c)
	return c
}

// Commands returns the names of the commands sent since the last Reset, in
// order.
func (c *RedisCounter) Commands() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.commands...)
}

// RoundTrips returns how many times the client waited for Redis since the
// last Reset.
func (c *RedisCounter) RoundTrips() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.roundTrips
}

// Reset forgets what was counted.
func (c *RedisCounter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commands, c.roundTrips = nil, 0
}

func (c *RedisCounter) record(cmds ...redis.Cmder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roundTrips++
	for _, cmd := range cmds {
		c.commands = append(c.commands, cmd.Name())
	}
}

// DialHook implements redis.Hook.
func (c *RedisCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (c *RedisCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.record(cmd)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook.
func (c *RedisCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.record(cmds...)
		return next(ctx, cmds)
	}
}

var _ redis.Hook = (*RedisCounter)(nil)
