package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// progressBar draws "[#####-----] 5/10 data views" on one terminal line.
// Log lines to the same terminal go through wrap, which clears the bar, writes
// the line, and redraws the bar below it.
type progressBar struct {
	mu          sync.Mutex
	w           io.Writer
	total, done int
	shown       bool
}

func (p *progressBar) draw() {
	const width = 30
	filled := 0
	if p.total > 0 {
		filled = width * p.done / p.total
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d data views", strings.Repeat("#", filled), strings.Repeat("-", width-filled), p.done, p.total)
	p.shown = true
}

func (p *progressBar) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

func (p *progressBar) wrap(write func()) {
	if p == nil {
		write()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	write()
	if p.total > 0 {
		p.draw()
	}
}

func (p *progressBar) start(total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.done = total, 0
	p.draw()
}

func (p *progressBar) step() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.draw()
}

// finish removes the bar so the summary starts on a clean line.
func (p *progressBar) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	p.total = 0
}
