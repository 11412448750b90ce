// Package builds names Exchange Server builds: 6.5.7226 is Exchange 2003
// SP1, 15.1.2106.2 is Exchange 2016 CU19. The table is derived from the
// public list of build numbers and release dates (see gen.go).
package builds

import (
	"strconv"
	"strings"
)

//go:generate go run gen.go

// Release is one named Exchange build.
type Release struct {
	Product string // "Exchange 2007"
	Release string // "SP1", "CU23", "RTM RU4"
	Build   string // as published, 3 or 4 parts
	Date    string // YYYY-MM-DD or YYYY-MM
}

// Name is the product and release, e.g. "Exchange 2007 SP1".
func (r Release) Name() string { return r.Product + " " + r.Release }

// Version is a parsed build number; parts missing from the text are -1.
type Version [4]int

// Parse reads "15.1.2106.2", "6.5.7226", ESE's zero-padded
// "08.01.0240.005" and display forms like "Version 8.1 (Build 240.6)".
func Parse(s string) (Version, bool) {
	v := Version{-1, -1, -1, -1}
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "(Build "); i >= 0 && strings.HasPrefix(s, "Version ") {
		// Display form: "Version 6.5 (Build 7638.2: Service Pack 2)".
		head := strings.TrimSpace(s[len("Version "):i])
		tail := s[i+len("(Build "):]
		if j := strings.IndexAny(tail, ":)"); j >= 0 {
			tail = tail[:j]
		}
		s = head + "." + strings.TrimSpace(tail)
	}
	s = strings.TrimSuffix(s, ".")
	parts := strings.Split(s, ".")
	if len(parts) < 3 || len(parts) > 4 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

// String prints the version without padding, e.g. "8.1.240.6".
func (v Version) String() string {
	var b strings.Builder
	for i, n := range v {
		if n < 0 {
			break
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// Compare orders versions part by part; a missing part sorts first.
func (v Version) Compare(w Version) int {
	for i := range v {
		if v[i] != w[i] {
			if v[i] < w[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// SameBuild reports whether two versions name the same build, ignoring a
// fourth part that only one of them has.
func (v Version) SameBuild(w Version) bool {
	for i := range 3 {
		if v[i] != w[i] {
			return false
		}
	}
	return v[3] < 0 || w[3] < 0 || v[3] == w[3]
}

var parsed = func() []Version {
	out := make([]Version, len(table))
	for i, r := range table {
		out[i], _ = Parse(r.Build)
	}
	return out
}()

// Match says how a build was named.
type Match int

// How Lookup matched.
const (
	NoMatch   Match = iota
	Exact           // the build is in the table (a 3-part row matches any 4th part)
	SameBuild       // same major.minor.build, another revision
	After           // not listed: the closest earlier release of the same major.minor
)

// Lookup names a build: an exact row, else a row of the same build with
// another revision, else the closest earlier release of the same
// major.minor, so an unlisted "8.1.300.1" still reads as after SP1 RU3.
func Lookup(s string) (Release, Match) {
	v, ok := Parse(s)
	if !ok {
		return Release{}, NoMatch
	}
	same, before := -1, -1
	for i, w := range parsed {
		if w[0] != v[0] || w[1] != v[1] {
			continue
		}
		if w.SameBuild(v) {
			return table[i], Exact
		}
		if w[2] == v[2] && same < 0 {
			same = i
		}
		if w.Compare(v) < 0 && (before < 0 || w.Compare(parsed[before]) > 0) {
			before = i
		}
	}
	switch {
	case same >= 0:
		return table[same], SameBuild
	case before >= 0:
		return table[before], After
	}
	return Release{}, NoMatch
}

// ReleaseName names the release of a build: "Exchange 2007 SP1", "near
// Exchange 2007 SP1", "after Exchange 2007 SP1 RU4", or "" when unknown.
func ReleaseName(s string) string {
	r, m := Lookup(s)
	switch m {
	case Exact:
		return r.Name()
	case SameBuild:
		return "near " + r.Name()
	case After:
		return "after " + r.Name()
	}
	return ""
}

// Describe returns the build with its release, e.g. "8.1.240.6 = Exchange
// 2007 SP1", or just the build when no release is known.
func Describe(s string) string {
	v, ok := Parse(s)
	if !ok {
		return s
	}
	name := ReleaseName(s)
	switch {
	case name == "":
		return v.String()
	case strings.HasPrefix(name, "Exchange"):
		return v.String() + " = " + name
	}
	return v.String() + " (" + name + ")"
}

// BuildOfRelease returns the build of a named release ("Exchange 2003
// SP2" -> 6.5.7638.2), the first row of the table that carries that name,
// or "" when the table has none. A 2003 progress log names the service
// pack it installs, not the build.
func BuildOfRelease(name string) string {
	for _, r := range table {
		if strings.EqualFold(r.Name(), strings.TrimSpace(name)) {
			return r.Build
		}
	}
	return ""
}
