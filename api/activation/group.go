package activation

import (
	"sync"

	"github.com/stadsnat/accessd/store"
)

// committer groups the order writes that arrive together into one store
// transaction: the first caller commits, the others queue meanwhile and
// share the next commit. Every caller returns only after its write is
// durable.
type committer struct {
	orders store.Orders
	max    int

	mu      sync.Mutex
	queue   []*call
	leading bool
}

type call struct {
	fn   func(*store.OrderTx) error
	done chan error
}

func (c *committer) do(fn func(*store.OrderTx) error) error {
	cl := &call{fn: fn, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, cl)
	if !c.leading {
		c.leading = true
		c.mu.Unlock()
		c.lead()
	} else {
		c.mu.Unlock()
	}
	return <-cl.done
}

// lead commits batches until the queue is empty. The caller that leads
// gets its answer with the first batch; a queue that filled meanwhile is
// handed to a new goroutine so that no caller waits for others' batches.
func (c *committer) lead() {
	c.mu.Lock()
	n := min(len(c.queue), c.max)
	batch := c.queue[:n:n]
	c.queue = c.queue[n:]
	c.mu.Unlock()

	fns := make([]func(*store.OrderTx) error, len(batch))
	for i, cl := range batch {
		fns[i] = cl.fn
	}
	errs := c.orders.Batch(fns)
	for i, cl := range batch {
		cl.done <- errs[i]
	}

	c.mu.Lock()
	if len(c.queue) == 0 {
		c.leading = false
		c.queue = nil
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	go c.lead()
}
