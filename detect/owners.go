package detect

import (
	"time"

	"github.com/exlog/exlog/parse"
)

func ownerChangeOf(e *parse.Event) (OwnerChange, bool) {
	a := e.Field("action")
	if a != "group-move" && a != "role-moved" {
		return OwnerChange{}, false
	}
	g, to := e.Field("group"), e.Field("to_node")
	if g == "" || to == "" || e.Time.IsZero() {
		return OwnerChange{}, false
	}
	oc := OwnerChange{Time: e.Time, Group: g, To: parse.ShortNode(to), MoveType: e.Field("move_type"), Evidence: EvidenceOf(e)}
	if from := e.Field("from_node"); from != "" {
		oc.From = parse.ShortNode(from)
	}
	return oc, true
}

// OwnerAt returns the node that owned group at time t according to the
// owner timeline, or "" when the bundle does not say.
func (f *Facts) OwnerAt(group string, t time.Time) string {
	owner := ""
	for _, oc := range f.Owners[group] {
		if oc.Time.After(t) {
			break
		}
		owner = oc.To
	}
	return owner
}
