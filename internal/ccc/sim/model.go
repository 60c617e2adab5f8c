package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cccops/cccops/internal/ccc"
)

// Agent states, as CCC names them.
const (
	StateReady   = ccc.StateReady
	StateTalking = ccc.StateTalking
	StateACW     = ccc.StateACW // after-call work
	StateBreak   = ccc.StateBreak
	StateRinging = ccc.StateRinging
	StateDialing = ccc.StateDialing
	StateOffline = ccc.StateOffline
)

var stateDesc = map[string]string{
	StateReady: "空闲", StateTalking: "通话中", StateACW: "话后处理", StateBreak: "小休",
	StateRinging: "振铃中", StateDialing: "拨号中", StateOffline: "离线",
}

type instance struct {
	ID, Name, Description, TenantID, DomainName, DirectoryID, Owner, StorageBucket, Region string
	Created                                                                                time.Time
	MaxOnlineAgents                                                                        int

	users    []*user
	groups   []*skillGroup
	numbers  []*phoneNumber
	flows    []*contactFlow
	roles    []*role
	calls    []*call // by start time
	callByID map[string]*call
	seeding  *numberCands // while seeding only (seed.go)
	devices  []*device
	config   []configItem
	sms      []*smsConfig
	trunks   map[string][]trunkConfig // skill group id → trunks
	ext      map[string][]serviceExt  // service type → extensions
	appraise *contactFlow
	notice   string
	webrtc   int
	shifts   map[string][]span // user id → shifts (login..logout), oldest first
	breaks   map[string][]span // user id → breaks
	extraLog map[string][]stateLog
}

type span struct{ from, to time.Time }

type user struct {
	UserID, RamID, LoginName, DisplayName, Email, Phone, Extension, Department string
	Roles                                                                      []string
	Skills                                                                     []skillLevel
	PrivateOutboundNumberID                                                    string
	Primary                                                                    bool
	State                                                                      string
	Since                                                                      time.Time
	BreakCode                                                                  string
}

type skillLevel struct {
	ID      string
	GroupID string
	Level   int
}

// abnormal reports whether the agent is stuck in a busy state.
// The rule is CCC knowledge shared with the product (ccc.Abnormal), so the
// simulator and the previews agree on who a blanket reset touches.
func (u *user) abnormal(now time.Time) bool {
	return ccc.Abnormal(u.State, now.Sub(u.Since))
}

type skillGroup struct {
	ID, Name, Description, RoutingStrategy string
	AllowPrivate                           bool
	OutboundNumberIDs                      []string
}

type phoneNumber struct {
	ID, Number, Description, Usage, FlowID, Province, City string
	SkillGroupIDs                                          []string
	Trunks, RemainingTime                                  int
	TestOnly, AllowOutbound                                bool
}

type contactFlow struct {
	ID, Name, Description, Type, Applied string
	versions                             []*flowVersion
}

type flowVersion struct {
	ID, Version, Description, Canvas, Content, LastModifiedBy, LockedBy, Status string
	LastModified                                                                time.Time
}

type role struct {
	ID, Name, Description string
	Privileges            []string
}

type call struct {
	ContactID, Type, Caller, Callee, Number string
	Start                                   time.Time
	AgentID, AgentRamID, AgentName          string
	AgentLogin                              string
	GroupID, GroupName                      string
	Disposition                             string
	IVRSec, QueueSec, RingSec, TalkSec      int
	HoldSec, WorkSec                        int
	SurveyOffered                           bool
	Satisfaction                            int // 0: no answer to the survey
	Recording                               int // 0 none, 1 single track, 2 dual track
	Transferred                             bool
	Privacy                                 string
	Feedback                                string
	seed                                    uint64
}

func (c *call) duration() int { return c.IVRSec + c.QueueSec + c.RingSec + c.TalkSec + c.HoldSec }
func (c *call) answered() bool {
	return c.Disposition == "Success"
}
func (c *call) answerAt() time.Time {
	return c.Start.Add(time.Duration(c.IVRSec+c.QueueSec+c.RingSec) * time.Second)
}
func (c *call) end() time.Time { return c.Start.Add(time.Duration(c.duration()) * time.Second) }

type device struct {
	ID                                       int64
	RamID                                    int64
	BrowserVersion, ClientIP, ClientPort, Rm string
	IsLogin                                  int
	LoginTime                                time.Time
}

type configItem struct{ ObjectType, ObjectID, Name, Value string }

type smsConfig struct {
	ID                                               int64
	Name, Description, SignName, TemplateCode, Extra string
	Scenario                                         int
	Created, Modified                                time.Time
}

type trunkConfig struct {
	Provider string
	Primary  bool
}

type trunkProvider struct{ Name, Status string }

type serviceExt struct{ Name, Number string }

type stateLog struct {
	At                                       time.Time
	State, Code, ContactID, Counter, GroupID string
}

// loginNames are the seeded agents, in order. The first instance has all of
// them, the second the first 42.
var loginNames = []string{
	"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
	"mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "wendy",
	"xavier", "yvonne", "zara", "aaron", "bella", "chen", "diego", "elena", "farah", "gus",
	"hana", "igor", "jin", "kira", "liam", "mei", "nora", "omar", "priya", "quinn",
	"rosa", "sam", "tara", "umar", "vera", "wei", "yusuf", "zoe",
}

var familyNames = []string{"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun"}

// stuckAgents are the agents the seed leaves stuck in the first instance:
// login name → state and how long it has been held.
var stuckAgents = map[string]struct {
	State string
	For   time.Duration
}{
	"mallory": {StateTalking, 5*time.Hour + 12*time.Minute},
	"trent":   {StateRinging, 3 * time.Hour},
	"sybil":   {StateDialing, 2*time.Hour + 40*time.Minute},
	"victor":  {StateACW, 4 * time.Hour},
	"rupert":  {StateBreak, 7 * time.Hour}, // held far too long, but a normal state
}

// rng is the seeded random source of one instance.
type rng struct{ *rand.Rand }

func newRNG(seed int64, stream uint64) rng {
	return rng{rand.New(rand.NewPCG(uint64(seed), stream))}
}

func (r rng) uuid() string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, 0x8000|r.Uint32()&0x3fff, r.Uint64()&0xffffffffffff)
}

func (r rng) digits(n int) string { return r.phone("", n) }

// phone is prefix followed by n random digits, built in one allocation;
// pick(list) + digits(n) draws exactly what phone(pick(list), n) draws.
func (r rng) phone(prefix string, n int) string {
	var b strings.Builder
	b.Grow(len(prefix) + n)
	b.WriteString(prefix)
	for range n {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	return b.String()
}

func (r rng) pick(list []string) string { return list[r.IntN(len(list))] }

func (r rng) chance(p float64) bool { return r.Float64() < p }

// between returns a uniform int in [lo, hi].
func (r rng) between(lo, hi int) int { return lo + r.IntN(hi-lo+1) }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v) }

func sortCalls(calls []*call) {
	slices.SortStableFunc(calls, func(a, b *call) int { return a.Start.Compare(b.Start) })
}

func itoa(n int) string { return strconv.Itoa(n) }
