package audit

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// merkle is an RFC 6962 Merkle tree over the lines of events.jsonl, kept
// as tlog's stored hashes so that the root of any prefix can be computed.
// The leaves are the lines' bytes without their LF.
type merkle struct {
	stored []tlog.Hash
	n      int64
}

func (m *merkle) read(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.stored)) {
			return nil, fmt.Errorf("merkle: no stored hash %d", x)
		}
		out[i] = m.stored[x]
	}
	return out, nil
}

// add appends a leaf.
func (m *merkle) add(line []byte) error {
	hashes, err := tlog.StoredHashes(m.n, line, tlog.HashReaderFunc(m.read))
	if err != nil {
		return err
	}
	m.stored = append(m.stored, hashes...)
	m.n++
	return nil
}

// root returns the Merkle root of the first n leaves.
func (m *merkle) root(n int64) (tlog.Hash, error) {
	if n > m.n {
		return tlog.Hash{}, fmt.Errorf("merkle: root of %d leaves asked of a tree of %d", n, m.n)
	}
	return tlog.TreeHash(n, tlog.HashReaderFunc(m.read))
}
