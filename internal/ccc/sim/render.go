package sim

import (
	"strings"
	"sync"
	"time"
)

type handler func(s *Sim, in *instance, a *args) (M, *apiError)

// handlers maps each of the 89 action names to its implementation; the
// files handlers_*.go fill it, on the first request rather than at every
// start of a process that links the simulator.
var handlers = sync.OnceValue(func() map[string]handler {
	registered = map[string]handler{}
	registerAgentHandlers()
	registerCallHandlers()
	registerConfigHandlers()
	registerNumberHandlers()
	registerReportHandlers()
	return registered
})

// registered is the map being filled while handlers builds it.
var registered map[string]handler

func register(name string, h handler) { registered[name] = h }

func (in *instance) user(id string) *user {
	for _, u := range in.users {
		if u.UserID == id {
			return u
		}
	}
	return nil
}

func (in *instance) userByRam(ram string) *user {
	for _, u := range in.users {
		if u.RamID == ram {
			return u
		}
	}
	return nil
}

func (in *instance) userByLogin(name string) *user {
	for _, u := range in.users {
		if strings.EqualFold(u.LoginName, name) {
			return u
		}
	}
	return nil
}

func (in *instance) role(id string) *role {
	for _, r := range in.roles {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func (in *instance) flow(id string) *contactFlow {
	for _, f := range in.flows {
		if f.ID == id {
			return f
		}
	}
	return nil
}

func (in *instance) flowVersion(id string) (*contactFlow, *flowVersion) {
	for _, f := range append(append([]*contactFlow{}, in.flows...), in.appraise) {
		for _, v := range f.versions {
			if v.ID == id {
				return f, v
			}
		}
	}
	return nil, nil
}

func (in *instance) numberByValue(num string) *phoneNumber {
	for _, n := range in.numbers {
		if n.Number == num {
			return n
		}
	}
	return nil
}

func (in *instance) mustUser(id string) (*user, *apiError) {
	if u := in.user(id); u != nil {
		return u, nil
	}
	return nil, notFound("UserId", id, in.ID)
}

func (in *instance) mustGroup(id string) (*skillGroup, *apiError) {
	if g := in.group(id); g != nil {
		return g, nil
	}
	return nil, notFound("SkillGroupId", id, in.ID)
}

func (in *instance) mustCall(id string) (*call, *apiError) {
	if c := in.callByID[id]; c != nil {
		return c, nil
	}
	return nil, notFound("ContactId", id, in.ID)
}

func (in *instance) mustFlow(id string) (*contactFlow, *apiError) {
	if f := in.flow(id); f != nil {
		return f, nil
	}
	return nil, notFound("ContactFlowId", id, in.ID)
}

func (in *instance) mustNumber(id string) (*phoneNumber, *apiError) {
	if n := in.number(id); n != nil {
		return n, nil
	}
	return nil, notFound("PhoneNumberId", id, in.ID)
}

func roleJSON(in *instance, r *role) M {
	return M{"InstanceId": in.ID, "RoleId": r.ID, "RoleName": r.Name, "RoleDescription": r.Description}
}

func rolesJSON(in *instance, u *user) []M {
	out := []M{}
	for _, id := range u.Roles {
		if r := in.role(id); r != nil {
			out = append(out, roleJSON(in, r))
		}
	}
	return out
}

func skillJSON(in *instance, g *skillGroup) M {
	return M{"InstanceId": in.ID, "SkillGroupId": g.ID, "SkillGroupName": g.Name, "SkillGroupDescription": g.Description}
}

func skillLevelsJSON(in *instance, u *user) []M {
	out := []M{}
	for _, sl := range u.Skills {
		if g := in.group(sl.GroupID); g != nil {
			out = append(out, M{"SkillLevelId": sl.ID, "Level": sl.Level, "Skill": skillJSON(in, g)})
		}
	}
	return out
}

func detailJSON(u *user) M {
	return M{"DisplayName": u.DisplayName, "LoginName": u.LoginName, "Email": u.Email, "Phone": u.Phone, "Department": u.Department}
}

func userJSON(in *instance, u *user) M {
	return M{
		"UserId": u.UserID, "RamId": u.RamID, "InstanceId": in.ID, "Primary": u.Primary,
		"PrivateOutboundNumberId": u.PrivateOutboundNumberID,
		"Detail":                  detailJSON(u),
		"Roles":                   M{"Role": rolesJSON(in, u)},
		"SkillLevels":             M{"SkillLevel": skillLevelsJSON(in, u)},
	}
}

func adminsJSON(in *instance) []M {
	out := []M{}
	adminRole := in.roles[0].ID
	for _, u := range in.users {
		for _, r := range u.Roles {
			if r == adminRole {
				out = append(out, M{"UserId": u.UserID, "RamId": u.RamID, "InstanceId": in.ID, "Detail": detailJSON(u)})
			}
		}
	}
	return out
}

func numberJSON(in *instance, n *phoneNumber) M {
	m := M{
		"PhoneNumberId": n.ID, "InstanceId": in.ID, "Number": n.Number, "PhoneNumberDescription": n.Description,
		"TestOnly": n.TestOnly, "RemainingTime": n.RemainingTime, "AllowOutbound": n.AllowOutbound, "Usage": n.Usage,
		"Trunks": n.Trunks, "Province": n.Province, "City": n.City,
	}
	if f := in.flow(n.FlowID); f != nil {
		m["ContactFlow"] = M{"ContactFlowId": f.ID, "ContactFlowName": f.Name, "ContactFlowDescription": f.Description, "InstanceId": in.ID, "Type": f.Type}
	}
	groups := []M{}
	for _, id := range n.SkillGroupIDs {
		if g := in.group(id); g != nil {
			groups = append(groups, M{"SkillGroupId": g.ID, "SkillGroupName": g.Name})
		}
	}
	m["SkillGroups"] = M{"SkillGroup": groups}
	return m
}

// trimmed keeps only the named keys of m: for the places where the spec's
// shape of a phone number or flow is narrower than the full one.
func trimmed(m M, keys ...string) M {
	out := M{}
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

var basicNumberKeys = []string{"PhoneNumberId", "InstanceId", "Number", "PhoneNumberDescription", "TestOnly", "RemainingTime", "AllowOutbound", "Usage", "Trunks"}

func groupOutboundNumbers(in *instance, g *skillGroup, keys ...string) []M {
	out := []M{}
	for _, id := range g.OutboundNumberIDs {
		if n := in.number(id); n != nil {
			out = append(out, trimmed(numberJSON(in, n), keys...))
		}
	}
	return out
}

func (in *instance) groupUserCount(id string) int {
	n := 0
	for _, u := range in.users {
		for _, sl := range u.Skills {
			if sl.GroupID == id {
				n++
				break
			}
		}
	}
	return n
}

func groupJSON(in *instance, g *skillGroup) M {
	return M{
		"SkillGroupId": g.ID, "SkillGroupName": g.Name, "SkillGroupDescription": g.Description, "InstanceId": in.ID,
		"RoutingStrategy": g.RoutingStrategy, "AllowPrivateOutboundNumber": g.AllowPrivate,
		"AccQueueName": g.Name + "-queue", "AccSkillGroupName": g.Name, "UserCount": in.groupUserCount(g.ID),
	}
}

func versionJSON(v *flowVersion, withBody bool) M {
	m := M{
		"ContactFlowVersionId": v.ID, "Version": v.Version, "ContactFlowVersionDescription": v.Description,
		"LastModified": v.LastModified.UTC().Format(time.RFC3339), "LastModifiedBy": v.LastModifiedBy, "LockedBy": v.LockedBy, "Status": v.Status,
	}
	if withBody {
		m["Canvas"], m["Content"] = v.Canvas, v.Content
	}
	return m
}

func flowJSON(in *instance, f *contactFlow, withBody bool) M {
	versions := []M{}
	for _, v := range f.versions {
		versions = append(versions, versionJSON(v, withBody))
	}
	nums := []M{}
	for _, n := range in.numbers {
		if n.FlowID == f.ID {
			nums = append(nums, trimmed(numberJSON(in, n), basicNumberKeys...))
		}
	}
	return M{
		"ContactFlowId": f.ID, "ContactFlowName": f.Name, "ContactFlowDescription": f.Description, "InstanceId": in.ID,
		"Type": f.Type, "AppliedVersion": f.appliedVersion(), "Versions": M{"ContactFlowVersion": versions},
		"PhoneNumbers": M{"PhoneNumber": nums},
	}
}

func (f *contactFlow) appliedVersion() string {
	for _, v := range f.versions {
		if v.ID == f.Applied {
			return v.Version
		}
	}
	return ""
}

func instanceJSON(s *Sim, in *instance) M {
	nums := []M{}
	for _, n := range in.numbers {
		nums = append(nums, trimmed(numberJSON(in, n), basicNumberKeys...))
	}
	return M{
		"InstanceId": in.ID, "InstanceName": in.Name, "InstanceDescription": in.Description, "Status": "Running",
		"TenantId": in.TenantID, "DomainName": in.DomainName, "DirectoryId": in.DirectoryID, "Owner": in.Owner,
		"ConsoleUrl": "https://ccc.console.aliyun.com/" + in.ID, "CreatedTime": ms(in.Created), "MaxOnlineAgents": in.MaxOnlineAgents,
		"StorageBucket": in.StorageBucket, "StorageMaxDays": 180, "StorageMaxSize": 500,
		"Admin":        M{"User": adminsJSON(in)},
		"PhoneNumbers": M{"PhoneNumber": nums},
	}
}

func (s *Sim) nextID(prefix string) string {
	s.idSeq++
	r := newRNG(s.seed, 1_000_000+s.idSeq)
	if prefix == "" {
		return r.uuid()
	}
	return prefix + r.digits(10)
}

func usersPage(in *instance, users []*user, a *args, render func(*user) M) M {
	pn, ps := a.page()
	page := pageOf(users, pn, ps)
	out := make([]M, 0, len(page))
	for _, u := range page {
		out = append(out, render(u))
	}
	return M{"List": M{"User": out}, "PageNumber": pn, "PageSize": ps, "TotalCount": len(users)}
}
