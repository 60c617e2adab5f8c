package tools

// Search over the catalog for the words on-call people use ("who is
// stuck", "call logs", "queue stats"): a BM25F ranking over each tool's
// fields — its name, a field of domain synonyms, its title, its toolset,
// its summary and its parameters — with stop words dropped, plurals folded,
// adjacent words scored as phrases too, and close misspellings of known
// words accepted.

import (
	"math"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/cccops/cccops/internal/ccc/spec"
)

// Find ranks the enabled tools by how well they match free words, best
// first; limit ≤ 0 means 10. An empty query lists the first tools in the
// overview's order. A query that spells a tool name nearly right (a typo,
// a missing plural, another case) puts that tool first, so unknown-name
// suggestions lead with it.
func (r *Registry) Find(query string, limit int) []*Tool {
	if limit <= 0 {
		limit = 10
	}
	if strings.TrimSpace(query) == "" {
		return r.tools[:min(limit, len(r.tools))]
	}
	var out []*Tool
	for _, name := range catalogIndex().rank(query) {
		if t, ok := r.byName[name]; ok {
			out = append(out, t)
			if len(out) == limit {
				break
			}
		}
	}
	return out
}

// Fields of a tool document, with their weights and BM25 length
// normalisation (b). The name and the synonyms weigh most: they say what
// the tool is; the summary and the parameters only hint.
const (
	fName = iota
	fSynonyms
	fTitle
	fToolset
	fSummary
	fParams
	nFields
)

var (
	fieldWeight = [nFields]float64{fName: 3, fSynonyms: 2.5, fTitle: 2, fToolset: 1, fSummary: 1, fParams: 0.6}
	fieldB      = [nFields]float64{fName: 0.5, fSynonyms: 0.3, fTitle: 0.5, fToolset: 0, fSummary: 0.75, fParams: 0.5}
)

const (
	bm25K1 = 1.2
	// phraseWeight scales a matched pair of adjacent words against a
	// single word.
	phraseWeight = 0.6
	// keepRatio drops hits scoring under this share of the best one: a
	// lone match in a parameter description is noise next to a tool named
	// for the question.
	keepRatio = 0.2
)

// concept is one entry of the domain thesaurus: the tools it covers (by
// phrases in their name or title, or named outright) and what people call
// it. Its words become the tool's synonyms field.
type concept struct {
	on    []string // phrases in a tool's name or title
	tools []string // tools covered by name
	words []string // what people say; multi-word entries also score as phrases
}

// thesaurus is the on-call vocabulary of the call center. Keep entries to
// words people really type; TestThesaurusNamesRealTools checks the tools.
var thesaurus = []concept{
	// What agents are doing now, and the agents a reset is for.
	{on: []string{"agent state", "real time agent", "user status"},
		words: []string{"stuck", "hung", "hang", "hanging", "frozen", "freeze", "jammed", "wedged", "unresponsive",
			"status", "busy", "available", "availability", "idle", "presence", "online", "doing", "now", "live",
			"ready", "break", "talking", "ringing", "dialing", "acw", "after call work", "wrap up", "reset", "who is",
			"logged", "logged in", "signed in", "how long", "long", "longest", "since when"}},
	// Clearing a stuck agent.
	{on: []string{"reset"},
		words: []string{"unstick", "unfreeze", "clear", "kick", "release", "free", "force", "fix", "stuck", "hung", "frozen"}},
	// Call detail records: the call log.
	{on: []string{"recent call"}, words: []string{"call log", "recent", "last calls", "latest calls", "calls", "workbench"}},
	{on: []string{"call detail record"},
		words: []string{"cdr", "call log", "call logs", "call history", "history", "log", "calls", "call list", "phone log",
			"who called", "missed call", "missed", "dropped call", "inbound", "outbound", "contact id", "find call", "past calls",
			"call record", "records", "who took", "answered by", "which agent", "duration", "longest", "talk time"}},
	// One call's story.
	{on: []string{"event of a call", "event detail", "ivr tracking"},
		words: []string{"timeline", "what happened", "call flow", "trace", "journey", "path", "call log", "hang up", "transfer", "hold"}},
	// Recordings.
	{on: []string{"recording"},
		words: []string{"audio", "recording", "record", "voice", "listen", "mp3", "wav", "sound", "tape", "call recording", "dual track", "stereo"}},
	// Transcripts.
	{on: []string{"transcript"},
		words: []string{"transcription", "transcribe", "speech", "speech to text", "asr", "stt", "conversation", "said", "say", "customer said", "words", "dialogue", "text of call"}},
	// Skill groups are the queues of CCC.
	{on: []string{"skill group"},
		words: []string{"queue", "queues", "team", "teams", "department", "group", "hunt group", "acd", "routing", "skill", "skills"}},
	// Numbers, trunks and caller IDs.
	{on: []string{"phone number", "number region", "caller id", "outbound number"},
		words: []string{"did", "dids", "number", "numbers", "line", "lines", "toll free", "phone", "telephone", "caller id", "ani", "cli", "display number", "e164"}},
	{on: []string{"trunk"},
		words: []string{"trunk", "sip", "carrier", "provider", "telco", "route", "pstn", "gateway", "line"}},
	// Text messages.
	{on: []string{"sms"},
		words: []string{"sms", "text", "texts", "text message", "texting", "message", "short message", "template"}},
	// Reports, statistics and live wallboards.
	{on: []string{"summary", "statistic", "report", "skill group state"},
		words: []string{"report", "stats", "statistics", "metrics", "kpi", "kpis", "dashboard", "wallboard", "totals", "performance",
			"service level", "sla", "how many", "volume", "analytics", "abandon", "abandoned", "answered", "offered", "aht", "handle time", "average"}},
	{on: []string{"since midnight"}, words: []string{"today", "so far", "now", "daily"}},
	{on: []string{"per interval"}, words: []string{"hourly", "per hour", "by hour", "interval", "trend", "chart", "daily", "per day"}},
	// Signing in and out, the workbench.
	{on: []string{"login", "agent event", "agent device"},
		words: []string{"login", "logon", "logout", "logoff", "log in", "log out", "sign in", "sign out", "signin", "signout",
			"signed in", "logged in", "logged", "session", "workbench", "softphone", "browser", "device"}},
	// Agents themselves.
	{on: []string{"agent", "user"},
		words: []string{"agent", "agents", "rep", "reps", "representative", "operator", "staff", "employee", "seat", "person", "people", "member"}},
	{on: []string{"extension"}, words: []string{"ext", "extension", "dn", "extension number", "who has"}},
	{on: []string{"role"}, words: []string{"permission", "permissions", "admin", "rights", "access", "role"}},
	// The IVR.
	{on: []string{"contact flow", "ivr", "route point"},
		words: []string{"ivr", "flow", "menu", "call flow", "phone tree", "script", "workflow", "auto attendant", "prompt", "greeting"}},
	// Satisfaction surveys.
	{on: []string{"satisfaction survey"},
		words: []string{"csat", "survey", "feedback", "rating", "rate", "nps", "satisfaction", "appraise", "appraisal"}},
	// The instance.
	{on: []string{"instance"},
		words: []string{"tenant", "account", "call center", "contact center", "workspace", "settings", "site"}},
	// Placing calls.
	{tools: []string{"start_back2_back_call", "dial_ex", "call_online_privacy_number"},
		words: []string{"dial", "call", "make a call", "place a call", "ring", "phone", "callback", "call back", "call customer", "customer", "outbound call", "click to call", "outdial"}},
	// Billing.
	{on: []string{"call usage"},
		words: []string{"billing", "bill", "billed", "cost", "costs", "minutes", "usage", "invoice", "charge", "charges", "spend"}},
	// Credentials and WebRTC.
	{on: []string{"turn", "token", "upload parameter"},
		words: []string{"credential", "credentials", "password", "secret", "token", "webrtc", "relay", "stun"}},
	{on: []string{"web rtc"},
		words: []string{"call quality", "quality", "jitter", "packet loss", "one way audio", "choppy", "echo", "mos", "webrtc"}},
	{on: []string{"configuration", "setting"},
		words: []string{"config", "configuration", "setting", "settings", "option", "parameter"}},
}

// searchIndex is the catalog indexed for Find, built once: ranking uses
// the full catalog's statistics, so filters never change the order.
type searchIndex struct {
	docs []searchDoc
	df   map[string]int // documents holding the term in any field
	// vocab are the words of names, synonyms, titles and toolsets: what a
	// misspelt word may be taken for (never a word of a summary).
	vocab  map[string]bool
	avgLen [nFields]float64
}

type searchDoc struct {
	name string
	stem string // the name's word stems joined by "_", for near-miss spelling
	// prior leans ties toward tools that only read: on-call questions are
	// mostly reads, and a suggestion should be the safe tool first. Words
	// that name a change (create, delete, reset) still win on their own.
	prior float64
	tf    [nFields]map[string]int
	len   [nFields]int
}

var catalogIndex = sync.OnceValue(func() *searchIndex {
	all, err := Catalog()
	if err != nil {
		return &searchIndex{df: map[string]int{}, vocab: map[string]bool{}}
	}
	return buildIndex(all)
})

func buildIndex(all []*Tool) *searchIndex {
	ix := &searchIndex{df: map[string]int{}, vocab: map[string]bool{}}
	for _, t := range all {
		var d searchDoc
		d.name = t.Name
		d.stem = strings.Join(words(t.Name), "_")
		d.prior = 1
		switch t.Access {
		case spec.AccessRead:
			d.prior = 1.1
		case spec.AccessSecret:
			d.prior = 0.95
		}
		ident := append(words(t.Name), words(t.Title)...)
		var syn []string
		for _, c := range thesaurus {
			if c.covers(t, ident) {
				for _, w := range c.words {
					syn = append(syn, w)
				}
			}
		}
		var params []string
		for _, p := range t.Input().Props {
			params = append(params, p.Name, strings.ToLower(p.Name), p.Description)
		}
		text := [nFields]string{
			fName:     t.Name + " " + t.Action,
			fSynonyms: strings.Join(syn, " | "),
			fTitle:    t.Title,
			fToolset:  t.Toolset,
			fSummary:  t.Description,
			fParams:   strings.Join(params, " | "),
		}
		seen := map[string]bool{}
		for f := range nFields {
			d.tf[f] = map[string]int{}
			for _, term := range terms(text[f]) {
				d.tf[f][term]++
				d.len[f]++
				if !seen[term] {
					seen[term] = true
					ix.df[term]++
				}
				if f <= fToolset && !strings.Contains(term, " ") {
					ix.vocab[term] = true
				}
			}
			ix.avgLen[f] += float64(d.len[f])
		}
		ix.docs = append(ix.docs, d)
	}
	for f := range nFields {
		if n := len(ix.docs); n > 0 {
			ix.avgLen[f] /= float64(n)
		}
		if ix.avgLen[f] == 0 {
			ix.avgLen[f] = 1
		}
	}
	return ix
}

// covers reports whether a concept applies to a tool: named outright, or
// one of its phrases appears in the tool's name or title words.
func (c concept) covers(t *Tool, ident []string) bool {
	for _, n := range c.tools {
		if n == t.Name {
			return true
		}
	}
	for _, p := range c.on {
		if containsRun(ident, words(p)) {
			return true
		}
	}
	return false
}

func containsRun(hay, run []string) bool {
	if len(run) == 0 {
		return false
	}
	for i := 0; i+len(run) <= len(hay); i++ {
		ok := true
		for j, w := range run {
			if hay[i+j] != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// rank returns tool names, best first, of every tool that matches.
func (ix *searchIndex) rank(query string) []string {
	n := float64(len(ix.docs))
	type qterm struct {
		term   string
		weight float64
	}
	var qs []qterm
	seen := map[string]bool{}
	for _, t := range terms(query) {
		if seen[t] {
			continue
		}
		seen[t] = true
		w := 1.0
		if strings.Contains(t, " ") {
			w = phraseWeight
		}
		if ix.df[t] == 0 && !strings.Contains(t, " ") {
			// A word no tool uses: take the nearest known word, if one is
			// close (a typo, or the start of a longer word).
			if near, nw := ix.nearest(t); near != "" && !seen[near] {
				seen[near] = true
				qs = append(qs, qterm{near, w * nw})
			}
			continue
		}
		qs = append(qs, qterm{t, w})
	}
	q := strings.Join(words(query), "_")
	type hit struct {
		name  string
		score float64
		i     int
	}
	var hits []hit
	best := 0.0
	for i, d := range ix.docs {
		s := 0.0
		for _, qt := range qs {
			df := ix.df[qt.term]
			if df == 0 {
				continue
			}
			tf := 0.0
			for f := range nFields {
				c := d.tf[f][qt.term]
				if c == 0 {
					continue
				}
				norm := 1 - fieldB[f] + fieldB[f]*float64(d.len[f])/ix.avgLen[f]
				tf += fieldWeight[f] * float64(c) / norm
			}
			if tf == 0 {
				continue
			}
			idf := math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
			s += qt.weight * idf * tf * (bm25K1 + 1) / (tf + bm25K1)
		}
		// A query that is nearly this tool's name (list_agent_state,
		// reset_usr_status) means this tool.
		// (The length difference bounds the distance, so most names are
		// ruled out without computing it.)
		if limit := max(2, len(d.stem)/6); q != "" && abs(len(q)-len(d.stem)) <= limit {
			if dist := editDistance(q, d.stem); dist <= limit {
				s = s*1.5 + 10/float64(1+dist)
			}
		}
		if s *= d.prior; s > 0 {
			hits = append(hits, hit{d.name, s, i})
			best = max(best, s)
		}
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].score > hits[b].score })
	out := make([]string, 0, len(hits))
	for _, h := range hits {
		if h.score < keepRatio*best {
			break
		}
		out = append(out, h.name)
	}
	return out
}

// nearest is the known single word closest to an unknown one, and how much
// it counts: a word it starts (transcr → transcript) or a near spelling
// (recrding → recording). Short words are not guessed.
func (ix *searchIndex) nearest(w string) (string, float64) {
	if len([]rune(w)) < 4 {
		return "", 0
	}
	maxDist := 1
	if len(w) >= 7 {
		maxDist = 2
	}
	best, bestScore := "", 0.0
	for term := range ix.vocab {
		df := ix.df[term]
		score := 0.0
		switch {
		case strings.HasPrefix(term, w):
			score = 0.7
		case abs(len(w)-len(term)) > maxDist:
		default:
			if d := editDistance(w, term); d <= maxDist {
				score = 0.8 - 0.3*float64(d-1)
			}
		}
		// Prefer the better guess, then the more common word, then the
		// first in order, so ties are stable.
		if score > bestScore || (score == bestScore && score > 0 && (df > ix.df[best] || (df == ix.df[best] && term < best))) {
			best, bestScore = term, score
		}
	}
	return best, bestScore
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// stopWords carry no meaning for the search.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the of for to in on at by with from into about and or not no
		is are was were be been being am do does did done has have had can could should would will shall may might must
		i me my we us our you your it its this that these those there here them they their he she his her him
		what which who whom whose when where why how please show see view display tell give let want need like
		some any all every each just also only very really so than then if else out up down over under again
		there's what's who's i'm can't don't doesn't`) {
		m[w] = true
	}
	return m
}()

// keepPhrase lists phrases made of stop words that still mean something
// in a call center ("who is" asks about agents' state); they are indexed
// and queried as pairs even though their words are dropped alone.
var keepPhrase = map[string]bool{"who is": true, "who called": true, "what happened": true, "how many": true, "who has": true, "log in": true, "log out": true, "sign in": true, "sign out": true,
	"logged in": true, "logged out": true, "signed in": true, "signed out": true}

// terms turns text into search terms: single words (stop words dropped,
// plurals folded) and each pair of adjacent kept words as a phrase.
func terms(text string) []string {
	ts := tokens(text)
	var out, kept []string
	for i, w := range ts {
		// A stop word in capitals is an acronym (DID): keep it.
		if lw := strings.ToLower(w); len(w) > 1 && stopWords[lw] && w == strings.ToUpper(w) {
			ts[i] = "\x00" + lw
		} else {
			ts[i] = lw
		}
	}
	flush := func() {
		for i, w := range kept {
			out = append(out, w)
			if i > 0 {
				out = append(out, kept[i-1]+" "+w)
			}
		}
		kept = kept[:0]
	}
	for i, w := range ts {
		if i > 0 && keepPhrase[ts[i-1]+" "+w] {
			out = append(out, ts[i-1]+" "+w)
		}
		if w == "|" {
			flush()
			continue
		}
		if stopWords[w] {
			continue
		}
		kept = append(kept, stem(strings.TrimPrefix(w, "\x00")))
	}
	flush()
	return out
}

// words are the stems of text's tokens, stop words included.
func words(text string) []string {
	ts := tokens(text)
	out := ts[:0]
	for _, w := range ts {
		if w != "|" {
			out = append(out, stem(strings.ToLower(w)))
		}
	}
	return out
}

// tokens splits text into lower-case words: on anything but letters and
// digits, between camelCase humps (ListRealTimeAgent, TURNCredentials),
// and Chinese text into pairs of characters. "|" separates list entries,
// so no phrase spans two of them.
func tokens(text string) []string {
	var out []string
	var cur []rune
	emit := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	rs := []rune(text)
	var han []rune
	emitHan := func() {
		switch {
		case len(han) == 1:
			out = append(out, string(han))
		case len(han) > 1:
			for i := 0; i+1 < len(han); i++ {
				out = append(out, string(han[i:i+2]))
			}
		}
		han = han[:0]
	}
	for i, r := range rs {
		switch {
		case unicode.Is(unicode.Han, r):
			emit()
			han = append(han, r)
			continue
		case r == '|':
			emit()
			emitHan()
			out = append(out, "|")
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			emitHan()
			if len(cur) > 0 && unicode.IsUpper(r) {
				prev := rs[i-1]
				// A lone plural "s" after an acronym stays with it (DIDs).
				nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1]) &&
					!(rs[i+1] == 's' && (i+2 == len(rs) || !unicode.IsLetter(rs[i+2])))
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
					emit()
				}
			}
			cur = append(cur, r)
			continue
		}
		emit()
		emitHan()
	}
	emit()
	emitHan()
	return out
}

// stem folds English plurals (agents → agent, queries → query, statuses →
// status) and a few verb forms people type for the same thing.
func stem(w string) string {
	if v, ok := irregular[w]; ok {
		return v
	}
	n := len(w)
	switch {
	case n <= 3:
		return w
	case strings.HasSuffix(w, "ies") && n > 4:
		return w[:n-3] + "y"
	case strings.HasSuffix(w, "uses"), strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "xes"):
		return w[:n-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
		return w
	case strings.HasSuffix(w, "s"):
		return w[:n-1]
	}
	return w
}

// irregular maps word forms the plural rule misses onto one stem.
var irregular = map[string]string{
	"logging": "log", "logins": "login", "signing": "sign",
	"calling": "call", "dialled": "dial", "dialed": "dial", "resetting": "reset", "resets": "reset",
	"recorded": "recording", "recordings": "recording", "texted": "text", "texting": "text",
	"stats": "stat", "people": "people",
	"hanging": "hang", "hung": "hung", "froze": "frozen", "freezing": "freeze", "queued": "queue", "queuing": "queue",
}
