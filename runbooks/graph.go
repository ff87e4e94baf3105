package runbooks

import (
	"container/heap"
	"fmt"
	"slices"
	"strings"
)

// Graph is a runbook's dependency graph: which step waits for which.
type Graph struct {
	// Deps lists, per step index, the indexes of the steps it waits for.
	Deps [][]int
	// Cyclic is set when the dependencies form a cycle; Levels and Order
	// are then empty.
	Cyclic bool
	// Order is a topological order of the step indexes, stable by file
	// order; Level is each step's execution level (0 starts at once) and
	// Levels the steps at each level.
	Order  []int
	Level  []int
	Levels [][]int

	ancestors []bitset // filled on first use by DependsOn
}

// BuildGraph resolves each step's dependencies: its after list, or the step
// before it in the file when it has none. Unknown ids are ignored here;
// Validate reports them.
func BuildGraph(rb *Runbook) *Graph {
	n := len(rb.Steps)
	ids := make(map[string]int, n)
	for i := range rb.Steps {
		if _, dup := ids[rb.Steps[i].ID]; !dup {
			ids[rb.Steps[i].ID] = i
		}
	}
	g := &Graph{Deps: make([][]int, n)}
	for i := range rb.Steps {
		s := &rb.Steps[i]
		if !s.AfterSet {
			if i > 0 {
				g.Deps[i] = []int{i - 1}
			}
			continue
		}
		seen := map[int]bool{}
		for _, id := range s.After {
			if j, ok := ids[id]; ok && j != i && !seen[j] {
				g.Deps[i] = append(g.Deps[i], j)
				seen[j] = true
			}
		}
	}
	g.sort()
	return g
}

// sort orders the steps topologically (Kahn's algorithm, lowest index
// first among the ready steps so the order follows the file) and assigns
// levels.
func (g *Graph) sort() {
	n := len(g.Deps)
	dependents := make([][]int, n)
	waiting := make([]int, n)
	for i, deps := range g.Deps {
		waiting[i] = len(deps)
		for _, d := range deps {
			dependents[d] = append(dependents[d], i)
		}
	}
	g.Level = make([]int, n)
	ready := &intHeap{}
	for i := range n {
		if waiting[i] == 0 {
			ready.push(i)
		}
	}
	for ready.len() > 0 {
		i := ready.pop()
		g.Order = append(g.Order, i)
		for _, d := range g.Deps[i] {
			g.Level[i] = max(g.Level[i], g.Level[d]+1)
		}
		for _, j := range dependents[i] {
			if waiting[j]--; waiting[j] == 0 {
				ready.push(j)
			}
		}
	}
	if len(g.Order) < n {
		g.Cyclic, g.Order, g.Level = true, nil, nil
		return
	}
	for _, i := range g.Order {
		for len(g.Levels) <= g.Level[i] {
			g.Levels = append(g.Levels, nil)
		}
		g.Levels[g.Level[i]] = append(g.Levels[g.Level[i]], i)
	}
	for _, l := range g.Levels {
		slices.Sort(l)
	}
}

// DependsOn reports whether step i waits, directly or through others, for
// step j. It is false in a cyclic graph.
func (g *Graph) DependsOn(i, j int) bool {
	if g.Cyclic {
		return false
	}
	// Most references name a step the referring one waits for directly;
	// answering those from Deps spares building every step's ancestors,
	// which costs the square of the number of steps.
	if slices.Contains(g.Deps[i], j) {
		return true
	}
	if g.ancestors == nil {
		g.ancestors = make([]bitset, len(g.Deps))
		for _, s := range g.Order {
			a := newBitset(len(g.Deps))
			for _, d := range g.Deps[s] {
				a.set(d)
				a.or(g.ancestors[d])
			}
			g.ancestors[s] = a
		}
	}
	return g.ancestors[i].has(j)
}

// cycles finds dependency cycles, each as a list of step indexes where
// each waits for the next and the last waits for the first.
func (g *Graph) cycles() [][]int {
	const (
		unvisited = iota
		onStack
		done
	)
	state := make([]int, len(g.Deps))
	var stack []int
	var found [][]int
	var visit func(i int)
	visit = func(i int) {
		state[i] = onStack
		stack = append(stack, i)
		for _, d := range g.Deps[i] {
			switch state[d] {
			case unvisited:
				visit(d)
			case onStack:
				for k := len(stack) - 1; k >= 0; k-- {
					if stack[k] == d {
						found = append(found, append([]int(nil), stack[k:]...))
						break
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
	}
	for i := range g.Deps {
		if state[i] == unvisited {
			visit(i)
		}
	}
	return found
}

// graph builds the dependency graph and reports cycles and dependencies
// that run against the order of the phases.
func (v *validator) graph() *Graph {
	g := BuildGraph(v.rb)
	if g.Cyclic {
		for _, c := range g.cycles() {
			v.reportCycle(c)
		}
	}
	for i, deps := range g.Deps {
		for _, j := range deps {
			v.phaseOrder(i, j)
		}
	}
	return g
}

// reportCycle reports one cycle, where in the stack c each step waits for
// the next and the last waits for the first. It points at an after entry
// that closes the cycle when the file has one, since that is what to edit.
func (v *validator) reportCycle(c []int) {
	names := make([]string, 0, len(c)+1)
	// Print the cycle in the order the steps would run.
	for k := len(c) - 1; k >= 0; k-- {
		names = append(names, v.rb.Steps[c[k]].ID)
	}
	names = append(names, names[0])
	at := indexPath("steps", c[0])
	for k, waiter := range c {
		if v.rb.Steps[waiter].AfterSet {
			at = v.afterPath(waiter, c[(k+1)%len(c)])
			break
		}
	}
	v.rep.errorAt(at, "break the cycle: remove one of these steps from the other's after", "dependency cycle: %s", strings.Join(names, " → "))
}

// afterPath is where step i names step j in its after list, or the step
// itself when it waits for j by default.
func (v *validator) afterPath(i, j int) string {
	s := &v.rb.Steps[i]
	for k, id := range s.After {
		if id == v.rb.Steps[j].ID {
			return indexPath(indexPath("steps", i)+".after", k)
		}
	}
	return indexPath("steps", i)
}

// phaseOrder reports step i waiting for a step j of a later phase: the
// procedure would, say, verify after the verification it depends on.
func (v *validator) phaseOrder(i, j int) {
	a, b := &v.rb.Steps[i], &v.rb.Steps[j]
	ra, rb := PhaseRank(a.Phase), PhaseRank(b.Phase)
	if ra < 0 || rb < 0 || rb <= ra {
		return
	}
	hint := fmt.Sprintf("phase %s comes before %s: change a phase, or list after explicitly", a.Phase, b.Phase)
	if !a.AfterSet {
		hint = fmt.Sprintf("with no after, a step waits for the one before it in the file; %s comes before %s: reorder the steps or set after", a.Phase, b.Phase)
	}
	v.rep.errorAt(v.afterPath(i, j), hint, "step %q (phase %s) waits for %q (phase %s): phases out of order", a.ID, a.Phase, b.ID, b.Phase)
}

type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)      { b[i/64] |= 1 << (uint(i) % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(uint(i)%64)) != 0 }
func (b bitset) or(o bitset) {
	for k := range o {
		b[k] |= o[k]
	}
}

// intHeap is a min-heap of step indexes, so that among the steps ready to
// run the topological order takes the one written first.
type intHeap struct{ items []int }

func (h *intHeap) len() int { return len(h.items) }

func (h *intHeap) push(x int) {
	heap.Push((*intSlice)(&h.items), x)
}

func (h *intHeap) pop() int { return heap.Pop((*intSlice)(&h.items)).(int) }

type intSlice []int

func (s intSlice) Len() int           { return len(s) }
func (s intSlice) Less(i, j int) bool { return s[i] < s[j] }
func (s intSlice) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s *intSlice) Push(x any)        { *s = append(*s, x.(int)) }
func (s *intSlice) Pop() any {
	old := *s
	x := old[len(old)-1]
	*s = old[:len(old)-1]
	return x
}
