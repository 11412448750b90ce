package setuplog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/parse"
	pfacts "github.com/exlog/exlog/parse/facts"
)

const (
	// provider is Event.Provider for every setup-log event.
	provider = "ExchangeSetup"
	// maxTZWait bounds how many records of a run are held while waiting
	// for its "Local time zone" line (line 4 of a 2013+ run).
	maxTZWait = 64
	// maxChain bounds how many error frames are held in case an IGNORING
	// marker follows them.
	maxChain = 1024
	// maxMessageBytes bounds one record's joined text; later continuation
	// lines are still counted in "lines" but their text is dropped, with a
	// report problem.
	maxMessageBytes = 1 << 20
)

// Parser reads Exchange setup logs. The zero value is ready to use and safe
// for concurrent use.
//
// Record events carry, when present: thread, severity (ERROR, WARNING,
// REQUIRED, ERROR-REFERENCE, RECOMENDED as written), error_code (as
// written, upper-cased, e.g. 0XC0070424), error_code_dec (the number in
// parentheses, the low 16 bits), error_text, eval_kind (Setting|Rule),
// eval_name, eval_value, eval_parent, eval_has_exception, param_name,
// param_value, component, native_function, native_source (path:line),
// frame_mode, errref_id, errref_component (the Component= value),
// errref_task (the Id before "___"), ignored and ignored_errors (see the
// package doc), time_of_day (2003 records without a file date), lines.
//
// Each run ends with a Kind "setup-run" event carrying generation, product,
// setup_version, previous_version, installed_version, mode,
// installation_mode, params, param.<name> (lower-cased; switches without a
// value are "true"), command_line, roles, user, dc, computer, tz,
// tz_offset, result (success|failed|incomplete|unknown), result_text (the
// deciding line), current_result, end_seen, start, end (RFC 3339),
// duration (Go duration), errors ([ERROR] records), error_frames (error
// frames neither ignored nor benign), first_error_line, watermark
// (Role=Value; ...), install_watermark and last_line, and the facts
// SetupRun and BuildClaim (package parse/facts). The outcome model is in
// the package documentation.
type Parser struct{}

var _ parse.Parser = Parser{}

// Name returns parse.SourceSetupLog.
func (Parser) Name() string { return parse.SourceSetupLog }

// Sniff accepts a head whose first non-empty lines hold a setup-log record
// prefix: any ExchangeSetup.log prefix among the first twelve, or a 2003
// "[HH:MM:SS] " prefix on the first line and at least one more.
func (Parser) Sniff(head []byte) bool {
	s := parse.DecodeHead(head)
	tod, seen := 0, 0
	firstTOD := false
	for s != "" && seen < 12 {
		var line string
		line, s, _ = strings.Cut(s, "\n")
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		seen++
		if _, ok := parseDated(line); ok {
			return true
		}
		if _, ok := parseTOD(line); ok {
			tod++
			if seen == 1 {
				firstTOD = true
			}
		}
	}
	return firstTOD && (tod >= 2 || seen == 1)
}

// Parse streams one setup log. It reads the file twice: a first pass finds
// the node name, the date order and the 2003 day count, the second emits.
func (Parser) Parse(ctx context.Context, in *parse.Input, rep *parse.Report, emit func(*parse.Event) error) (err error) {
	s := &state{ctx: ctx, in: in, rep: rep, emit: emit}
	defer func() {
		if r := recover(); r != nil {
			rep.AddProblem("file", "setup-log parser stopped on an internal error: %v", r)
			err = fmt.Errorf("setuplog: internal error: %v", r)
		}
	}()
	if in.Open == nil {
		return errors.New("setuplog: input has no Open")
	}
	pre, err := prescan(ctx, in)
	if err != nil && (pre.fam == famNone || ctx.Err() != nil) {
		return err
	}
	// A read error past the first records (a damaged archive entry) does
	// not stop the parse: the second pass emits what comes before it and
	// reports the error.
	if pre.fam == famNone {
		return parse.ErrNotFormat
	}
	s.fam = pre.fam
	if pre.dmy > 0 && pre.mdy == 0 {
		s.order = orderDMY
	}
	switch {
	case pre.computer != "":
		s.node = parse.ShortNode(pre.computer)
	case pre.serverName != "":
		s.node = parse.ShortNode(pre.serverName)
	default:
		s.node = parse.ShortNode(in.Node)
	}
	if s.fam == famTOD {
		if in.ModTime.IsZero() {
			rep.AddProblem("file", "no file time in the bundle: 2003 records keep only their time of day (field time_of_day)")
		} else {
			y, m, d := in.ModTime.Date()
			s.base = time.Date(y, m, d-pre.rollovers, 0, 0, 0, 0, time.UTC)
			s.hasBase = true
		}
	}
	return s.run()
}

// pre is what the first pass learns.
type pre struct {
	fam                  family
	computer, serverName string
	dmy, mdy             int // votes for the 2007 short-date order
	rollovers            int
}

func prescan(ctx context.Context, in *parse.Input) (p pre, err error) {
	rc, err := in.Open()
	if err != nil {
		return p, err
	}
	defer rc.Close()
	l := parse.NewLines(rc)
	lastTOD, records, sawFrac := 0, 0, false
	for l.Next() {
		if l.Number()%4096 == 0 && ctx.Err() != nil {
			return p, ctx.Err()
		}
		st, fam, ok := parsePrefix(p.fam, l.Text())
		if !ok {
			continue
		}
		p.fam = fam
		records++
		if fam == famTOD {
			sec := st.secondsOfDay()
			if records > 1 && rollover(lastTOD, sec) {
				p.rollovers++
			}
			lastTOD = sec
			continue
		}
		switch {
		case st.frac != "":
			sawFrac = true
		case st.aDigits < 3 && st.a > 12:
			p.dmy++
		case st.aDigits < 3 && st.b > 12:
			p.mdy++
		}
		t := strings.TrimSpace(st.text)
		if p.computer == "" && strings.Contains(t, "[Setting:ComputerNameDnsFullyQualified]") {
			if _, _, v, _ := parseEval(t); v != "" && v != "<NULL>" && !strings.ContainsAny(v, " \t") {
				p.computer = v
			}
		}
		const srv = "Setup will search for an Exchange Server object for the local machine with name '"
		if p.serverName == "" && strings.HasPrefix(t, srv) {
			p.serverName, _, _ = strings.Cut(t[len(srv):], "'")
		}
		if p.computer != "" && (sawFrac || p.dmy+p.mdy > 0) {
			break
		}
	}
	return p, l.Err()
}

// building is the record being assembled from its physical lines.
type building struct {
	st     stamp
	orphan bool
	line   int
	n      int // physical lines so far
	text   string
	second string // second physical line, for frames split over two lines
	msg    strings.Builder
	blanks int // blank lines not yet written, kept out of a trailing end
	cut    bool
}

func (b *building) add(line string) {
	b.n++
	if b.n == 2 {
		b.second = line
	}
	if strings.TrimSpace(line) == "" {
		b.blanks++
		return
	}
	if b.cut || b.msg.Len()+b.blanks+len(line)+1 > maxMessageBytes {
		b.cut = true
		return
	}
	for ; b.blanks > 0; b.blanks-- {
		b.msg.WriteByte('\n')
	}
	b.msg.WriteByte('\n')
	b.msg.WriteString(line)
}

// state is one Parse call.
type state struct {
	ctx  context.Context
	in   *parse.Input
	rep  *parse.Report
	emit func(*parse.Event) error
	node string

	fam     family
	order   dateOrder
	base    time.Time // 2003: the date of the first record's day
	hasBase bool
	day     int
	prevTOD int
	nTOD    int

	cur       *run
	held      *heldSep
	sawRecord bool
}

// heldSep is a "****" line waiting to learn whether a banner follows it.
type heldSep struct {
	it    item
	text  string
	facts recFacts
}

func (s *state) run() error {
	rc, err := s.in.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	l := parse.NewLines(rc)
	var b *building
	trunc := 0
	for l.Next() {
		n := l.Number()
		if n%4096 == 0 && s.ctx.Err() != nil {
			return s.ctx.Err()
		}
		if l.Truncated() != trunc {
			trunc = l.Truncated()
			s.rep.AddProblem("line "+strconv.Itoa(n), "line longer than %d bytes; the rest of it was dropped", parse.MaxLineBytes)
		}
		t := l.Text()
		if st, _, ok := parsePrefix(s.fam, t); ok {
			if b != nil {
				if err := s.finishRecord(b); err != nil {
					return err
				}
			}
			b = &building{st: st, line: n, n: 1, text: st.text}
			b.msg.WriteString(st.text)
			continue
		}
		if b == nil {
			if strings.TrimSpace(t) == "" {
				continue // leading blank lines carry nothing
			}
			b = &building{orphan: true, line: n, n: 1, text: t}
			b.msg.WriteString(t)
			continue
		}
		b.add(t)
	}
	readErr := l.Err()
	if readErr != nil {
		s.rep.AddProblem("line "+strconv.Itoa(l.Number()+1), "read error, the rest of the file is lost: %v", readErr)
	}
	if b != nil {
		if err := s.finishRecord(b); err != nil {
			return err
		}
	}
	if s.held != nil {
		if s.cur == nil {
			s.cur = newRun(1, s.fam == famTOD)
		}
		if err := s.place(s.held.it, s.held.text, s.held.facts); err != nil {
			return err
		}
		s.held = nil
	}
	if s.cur != nil {
		if err := s.finishRun(s.cur); err != nil {
			return err
		}
	}
	return readErr
}

// finishRecord turns an assembled record into an event and routes it.
func (s *state) finishRecord(b *building) error {
	msg := strings.TrimRight(b.msg.String(), " \t")
	ev := &parse.Event{
		Node:     s.node,
		Source:   parse.SourceSetupLog,
		File:     s.in.Path,
		Line:     b.line,
		Provider: provider,
		Message:  msg,
	}
	if b.cut {
		s.rep.AddProblem(fmt.Sprintf("lines %d-%d", b.line, b.line+b.n-1),
			"record longer than %d bytes; the text of its later lines was dropped", maxMessageBytes)
	}
	if b.orphan {
		ev.Level = parse.LevelInfo
		if b.n > 1 {
			ev.SetField(parse.KeyLines, strconv.Itoa(b.n))
		}
		s.rep.AddProblem(fmt.Sprintf("lines %d-%d", b.line, b.line+b.n-1),
			"text before the first timestamped record; kept as one event without a time")
		return s.route(item{ev: ev}, "", recFacts{})
	}
	it := item{ev: ev, stamp: b.st.prefixText, thread: b.st.thread}
	if s.fam == famTOD {
		sec := b.st.secondsOfDay()
		if s.nTOD > 0 && rollover(s.prevTOD, sec) {
			s.day++
		}
		s.prevTOD = sec
		s.nTOD++
		if s.hasBase {
			it.wall = s.base.AddDate(0, 0, s.day).Add(time.Duration(sec) * time.Second)
			it.hasWall = true
		} else {
			ev.SetField(parse.KeyTimeOfDay, b.st.prefixText)
		}
	} else {
		w, ok := b.st.wallTime(s.order)
		it.fraction = b.st.frac != ""
		if ok {
			it.wall, it.hasWall = w, true
		} else {
			s.rep.AddProblem("line "+strconv.Itoa(b.line), "timestamp %q is not a valid date and time; the record is kept without a time", b.st.prefixText)
		}
	}
	ev.SetField(parse.KeyThread, b.st.thread)
	facts := describe(ev, b.text, msg, b.second)
	if s.fam == famTOD {
		if u := pfacts.ReadEVSUpgrade(b.text); u != nil {
			ev.AddFact(u)
		}
	}
	if b.n > 1 {
		ev.SetField(parse.KeyLines, strconv.Itoa(b.n))
	}
	it.errFrame = facts.errFrame
	if isSeparator(b.text) {
		if s.held != nil {
			if s.cur == nil {
				s.cur = newRun(1, s.fam == famTOD)
			}
			if err := s.place(s.held.it, s.held.text, s.held.facts); err != nil {
				return err
			}
		}
		s.held = &heldSep{it: it, text: b.text, facts: facts}
		return nil
	}
	return s.route(it, b.text, facts)
}

// route picks the run of a record, opening a new one at a banner (or after
// a 2003 "Setup completed"), then places any held separator and the record.
func (s *state) route(it item, text string, facts recFacts) error {
	banner := bannerMatch(strings.TrimSpace(text)) != nil
	switch {
	case s.cur == nil:
		s.cur = newRun(1, s.fam == famTOD)
	case banner && (s.cur.hasBanner || s.cur.ended), s.fam == famTOD && s.cur.ended:
		if err := s.finishRun(s.cur); err != nil {
			return err
		}
		s.cur = newRun(s.cur.n+1, s.fam == famTOD)
	}
	if s.held != nil {
		h := s.held
		s.held = nil
		if err := s.place(h.it, h.text, h.facts); err != nil {
			return err
		}
	}
	return s.place(it, text, facts)
}

// place adds a record to the current run and emits what no longer needs
// holding.
func (s *state) place(it item, text string, facts recFacts) error {
	r := s.cur
	it.ev.Run = r.n
	it.failure = r.gen2003 && failure(it.ev, text, facts)
	r.absorb(it.ev, text, facts, it)
	// Only the run's first records identify it; hashing every record of
	// a long log would cost for nothing.
	r.out.records++
	if len(r.out.print) < printLen {
		r.out.print = append(r.out.print, recordHash(it.stamp, it.thread, it.ev.Message))
	}
	n := 1
	if v := it.ev.Fields[parse.KeyLines]; v != "" {
		n, _ = strconv.Atoi(v)
	}
	r.lastLine = it.ev.Line + n - 1

	switch {
	case facts.marker:
		ignored := r.chainDropped
		if r.chain >= 0 {
			for i := r.chain; i < len(r.pending); i++ {
				if p := r.pending[i]; p.errFrame {
					p.ev.SetField(parse.KeyIgnored, "true")
					p.ev.Level = parse.LevelInfo
					ignored++
				}
			}
		}
		if r.chainDropped > 0 {
			s.rep.AddProblem("line "+strconv.Itoa(it.ev.Line),
				"%d error frames before this IGNORING marker were emitted before it was seen and are not marked ignored", r.chainDropped)
		}
		if ignored > 0 {
			it.ev.SetField(parse.KeyIgnoredErrors, strconv.Itoa(ignored))
		}
		r.chain, r.chainDropped = -1, 0
	case it.errFrame:
		if r.chain < 0 {
			r.chain = len(r.pending)
		}
	default:
		r.chain, r.chainDropped = -1, 0
	}
	r.pending = append(r.pending, it)
	if !r.tzDecided && (r.tzKnown || len(r.pending) >= maxTZWait) {
		r.tzDecided = true
	}
	if r.tzDecided {
		return s.flush(r, false)
	}
	return nil
}

// flush emits the run's pending events, keeping an open error-frame chain
// (bounded by maxChain) unless all is set.
func (s *state) flush(r *run, all bool) error {
	limit := len(r.pending)
	if !all && r.chain >= 0 {
		limit = r.chain
		if len(r.pending)-limit > maxChain {
			over := len(r.pending) - maxChain - limit
			limit += over
			r.chainDropped += over
		}
	}
	for i := 0; i < limit; i++ {
		if err := s.send(r, r.pending[i]); err != nil {
			return err
		}
	}
	rest := copy(r.pending, r.pending[limit:])
	clear(r.pending[rest:])
	r.pending = r.pending[:rest]
	if r.chain >= 0 {
		if all {
			r.chain = -1
		} else if r.chain -= limit; r.chain < 0 {
			r.chain = 0 // the chain outgrew maxChain; what is left is all chain
		}
	}
	return nil
}

func (s *state) send(r *run, it item) error {
	ev := it.ev
	if it.hasWall {
		ev.Time = r.utc(it.wall)
		ev.TimeQuality = r.quality()
	} else {
		ev.TimeQuality = parse.TimeNone
	}
	if it.failure && ev.Fields[parse.KeyIgnored] != "true" {
		r.out.failed2003(ev)
	}
	if it.errFrame && ev.Fields[parse.KeyIgnored] != "true" && ev.Fields[parse.KeyErrorCode] != benignCode {
		r.errorFrames++
		if r.firstFrameLine == 0 {
			r.firstFrameLine = ev.Line
		}
	}
	s.rep.Events++
	return s.emit(ev)
}

// finishRun emits what the run still holds and then its summary.
func (s *state) finishRun(r *run) error {
	r.tzDecided = true
	if err := s.flush(r, true); err != nil {
		return err
	}
	sum := r.summary(s.node, s.in.Path)
	s.rep.Events++
	return s.emit(sum)
}
