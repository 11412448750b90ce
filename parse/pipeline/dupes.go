package pipeline

import (
	"encoding/binary"
	"hash/maphash"
	"slices"
	"strings"
	"sync"

	"github.com/exlog/exlog/parse"
)

// Copies is a sink that finds files collected twice: a .bak copy, the same
// log in two archives, or a log collected again later, so that the first
// collection is a prefix of the second. It keeps 16 bytes per record read
// (not per derived event), a digest and its position, whatever the size
// of the records.
type Copies struct {
	mu    sync.Mutex
	files map[string][]digest
	seed  maphash.Seed // digests are compared within one run only
}

type digest struct {
	pos uint64 // line, or record number
	sum uint64
}

// Add records the digest of one record.
func (c *Copies) Add(e *parse.Event) error {
	if e.Kind != "" {
		return nil // derived from many records; a cut copy derives others
	}
	// A node the layout gave is no part of the record: the same log
	// copied into another folder is still the same log.
	node := e.Node
	if e.NodeFrom != parse.NodeFromContent {
		node = ""
	}
	pos := uint64(e.Line)
	if pos == 0 {
		pos = e.Record
	}
	c.mu.Lock()
	if c.files == nil {
		c.files = map[string][]digest{}
		c.seed = maphash.MakeSeed()
	}
	seed := c.seed
	c.mu.Unlock()
	var h maphash.Hash
	h.SetSeed(seed)
	for _, s := range [...]string{e.Source, e.Provider, node, e.Message} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(e.Time.UnixNano())^uint64(e.EventID)<<48)
	binary.LittleEndian.PutUint64(b[8:], pos)
	h.Write(b[:])
	sum := h.Sum64()
	c.mu.Lock()
	c.files[e.File] = append(c.files[e.File], digest{pos, sum})
	c.mu.Unlock()
	return nil
}

// Duplicates returns, for every file that is a copy of another, the file
// kept in its place. Of two equal files the one with the plainer name is
// kept (not a .bak, .old or "Copy of"), then the first in path order; of
// a file and a longer one that begins with all its records, the longer.
func (c *Copies) Duplicates() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	byFirst := map[uint64][]string{}
	for f, ds := range c.files {
		slices.SortFunc(ds, func(a, b digest) int {
			if a.pos != b.pos {
				if a.pos < b.pos {
					return -1
				}
				return 1
			}
			switch {
			case a.sum < b.sum:
				return -1
			case a.sum > b.sum:
				return 1
			}
			return 0
		})
		if len(ds) > 0 {
			byFirst[ds[0].sum] = append(byFirst[ds[0].sum], f)
		}
	}
	out := map[string]string{}
	for _, group := range byFirst {
		if len(group) < 2 {
			continue
		}
		// Longest first, then plainest name: the kept copy comes first.
		slices.SortFunc(group, func(a, b string) int {
			if la, lb := len(c.files[a]), len(c.files[b]); la != lb {
				return lb - la
			}
			if ca, cb := copyRank(a), copyRank(b); ca != cb {
				return ca - cb
			}
			return strings.Compare(a, b)
		})
		for i, f := range group {
			if _, dup := out[f]; dup {
				continue
			}
			for _, g := range group[i+1:] {
				if _, dup := out[g]; !dup && prefixOf(c.files[g], c.files[f]) {
					out[g] = f
				}
			}
		}
	}
	return out
}

func prefixOf(short, long []digest) bool {
	if len(short) > len(long) {
		return false
	}
	for i := range short {
		if short[i] != long[i] {
			return false
		}
	}
	return true
}

// copyRank is 1 for names that say they are copies, 0 otherwise.
func copyRank(p string) int {
	base := strings.ToLower(p[strings.LastIndexByte(p, '/')+1:])
	for _, s := range []string{".bak", ".old", ".orig", ".copy", "~", ".1", ".2"} {
		if strings.HasSuffix(base, s) {
			return 1
		}
	}
	if strings.HasPrefix(base, "copy of ") || strings.Contains(base, " - copy") || strings.Contains(base, "(1)") {
		return 1
	}
	return 0
}
