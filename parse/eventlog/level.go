package eventlog

import "github.com/exlog/exlog/parse"

// Keyword bits Windows sets on classic and audit records in EVTX.
const (
	KeywordAuditFailure uint64 = 0x0010000000000000
	KeywordAuditSuccess uint64 = 0x0020000000000000
)

// LevelFromEVTX maps an EVTX <Level> and <Keywords> to a normalized level
// and, for audit records, "success" or "failure".
//
// Level 0 ("log always") is what classic sources and audit records carry;
// Windows shows it as information, and so does exlog: the audit outcome is
// kept apart so thousands of failed logons do not read as warnings.
func LevelFromEVTX(level int, keywords uint64) (norm, audit string) {
	switch {
	case keywords&KeywordAuditFailure != 0:
		audit = "failure"
	case keywords&KeywordAuditSuccess != 0:
		audit = "success"
	}
	switch level {
	case 1:
		norm = parse.LevelCritical
	case 2:
		norm = parse.LevelError
	case 3:
		norm = parse.LevelWarning
	case 0, 4:
		norm = parse.LevelInfo
	case 5:
		norm = parse.LevelVerbose
	default:
		// Levels above 5 are provider-defined tracing levels.
		norm = parse.LevelDebug
	}
	return norm, audit
}

// EVT EventType values (EVENTLOGRECORD.EventType).
const (
	EVTSuccess      = 0x0000
	EVTError        = 0x0001
	EVTWarning      = 0x0002
	EVTInformation  = 0x0004
	EVTAuditSuccess = 0x0008
	EVTAuditFailure = 0x0010
)

// LevelFromEVTType maps a legacy EventType to a normalized level and, for
// audit records, "success" or "failure". Unknown types read as information.
func LevelFromEVTType(t uint16) (norm, audit string) {
	switch t {
	case EVTError:
		return parse.LevelError, ""
	case EVTWarning:
		return parse.LevelWarning, ""
	case EVTAuditSuccess:
		return parse.LevelInfo, "success"
	case EVTAuditFailure:
		return parse.LevelInfo, "failure"
	}
	return parse.LevelInfo, ""
}
