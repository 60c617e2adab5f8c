package sim

import (
	"slices"
	"strconv"
	"strings"
)

func registerAgentHandlers() {
	register("ListRoles", func(s *Sim, in *instance, a *args) (M, *apiError) {
		out := []M{}
		for _, r := range in.roles {
			out = append(out, roleJSON(in, r))
		}
		return M{"Roles": M{"Role": out}}, nil
	})
	register("GetInstance", func(s *Sim, in *instance, a *args) (M, *apiError) {
		return M{"Instance": instanceJSON(s, in)}, nil
	})
	register("ListInstancesOfUser", func(s *Sim, in *instance, a *args) (M, *apiError) {
		out := []M{}
		for _, i := range s.instances {
			out = append(out, instanceJSON(s, i))
		}
		return M{"Instances": M{"CallCenterInstance": out}}, nil
	})

	// Skill groups.
	register("CreateSkillGroup", func(s *Sim, in *instance, a *args) (M, *apiError) {
		name := a.str("Name")
		for _, g := range in.groups {
			if strings.EqualFold(g.Name, name) {
				return nil, errf(409, "AlreadyExists.SkillGroup", "Skill group %q already exists in instance %s; pick another name or modify it.", name, in.ID)
			}
		}
		g := &skillGroup{ID: s.nextID(""), Name: name, Description: a.str("Description"), RoutingStrategy: a.str("RoutingStrategy"), AllowPrivate: a.bool("AllowPrivateOutboundNumber", false)}
		if g.RoutingStrategy == "" {
			g.RoutingStrategy = "LongestIdle"
		}
		if err := setGroupNumbers(in, g, a.list("OutboundPhoneNumberId")); err != nil {
			return nil, err
		}
		members, err := membersOf(in, a)
		if err != nil {
			return nil, err
		}
		in.groups = append(in.groups, g)
		for _, m := range members {
			setSkill(s, m.u, g.ID, m.level)
		}
		return M{"SkillGroupId": g.ID}, nil
	})
	register("ModifySkillGroup", func(s *Sim, in *instance, a *args) (M, *apiError) {
		g, err := in.mustGroup(a.str("SkillGroupId"))
		if err != nil {
			return nil, err
		}
		name := a.str("Name")
		for _, o := range in.groups {
			if o != g && strings.EqualFold(o.Name, name) {
				return nil, errf(409, "AlreadyExists.SkillGroup", "Skill group %q already exists in instance %s; pick another name.", name, in.ID)
			}
		}
		members, err := membersOf(in, a)
		if err != nil {
			return nil, err
		}
		if a.has("OutboundPhoneNumberId") {
			if err := setGroupNumbers(in, g, a.list("OutboundPhoneNumberId")); err != nil {
				return nil, err
			}
		}
		g.Name = name
		if a.has("Description") {
			g.Description = a.str("Description")
		}
		if a.has("RoutingStrategy") {
			g.RoutingStrategy = a.str("RoutingStrategy")
		}
		if a.has("AllowPrivateOutboundNumber") {
			g.AllowPrivate = a.bool("AllowPrivateOutboundNumber", false)
		}
		if a.has("UserId") {
			for _, u := range in.users {
				removeSkill(u, g.ID)
			}
			for _, m := range members {
				setSkill(s, m.u, g.ID, m.level)
			}
		}
		return M{}, nil
	})
	register("DeleteSkillGroup", func(s *Sim, in *instance, a *args) (M, *apiError) {
		g, err := in.mustGroup(a.str("SkillGroupId"))
		if err != nil {
			return nil, err
		}
		for i, o := range in.groups {
			if o == g {
				in.groups = append(in.groups[:i:i], in.groups[i+1:]...)
				break
			}
		}
		for _, u := range in.users {
			removeSkill(u, g.ID)
		}
		for _, n := range in.numbers {
			n.SkillGroupIDs = without(n.SkillGroupIDs, g.ID)
		}
		delete(in.trunks, g.ID)
		return M{}, nil
	})
	register("ListSkillGroups", func(s *Sim, in *instance, a *args) (M, *apiError) {
		ids, names := a.list("SkillGroupId"), a.list("SkillGroupName")
		out := []M{}
		for _, g := range in.groups {
			if len(ids) > 0 && !contains(ids, g.ID) {
				continue
			}
			if len(names) > 0 && !contains(names, g.Name) {
				continue
			}
			m := groupJSON(in, g)
			m["OutboundPhoneNumbers"] = M{"PhoneNumber": groupOutboundNumbers(in, g, basicNumberKeys...)}
			delete(m, "AllowPrivateOutboundNumber")
			out = append(out, m)
		}
		return M{"SkillGroups": M{"SkillGroup": out}}, nil
	})
	register("ListSkillGroupsOfUser", func(s *Sim, in *instance, a *args) (M, *apiError) {
		u, err := in.mustUser(a.str("UserId"))
		if err != nil {
			return nil, err
		}
		out := []M{}
		for _, sl := range u.Skills {
			g := in.group(sl.GroupID)
			if g == nil {
				continue
			}
			sk := skillJSON(in, g)
			sk["RoutingStrategy"] = g.RoutingStrategy
			sk["OutboundPhoneNumbers"] = M{"PhoneNumber": groupOutboundNumbers(in, g, append(basicNumberKeys, "Province", "City")...)}
			out = append(out, M{"SkillLevelId": sl.ID, "Level": sl.Level, "Skill": sk})
		}
		return M{"SkillLevels": M{"SkillLevel": out}}, nil
	})
	register("ListUsersOfSkillGroup", func(s *Sim, in *instance, a *args) (M, *apiError) {
		g, err := in.mustGroup(a.str("SkillGroupId"))
		if err != nil {
			return nil, err
		}
		var members []*user
		for _, u := range in.users {
			if hasSkill(u, g.ID) {
				members = append(members, u)
			}
		}
		return M{"Users": usersPage(in, members, a, func(u *user) M {
			m := userJSON(in, u)
			roles := []M{}
			for _, id := range u.Roles {
				if r := in.role(id); r != nil {
					rm := roleJSON(in, r)
					privs := []M{}
					for i, p := range r.Privileges {
						privs = append(privs, M{"PrivilegeId": r.ID[:8] + "-" + strconv.Itoa(i+1), "PrivilegeName": p, "PrivilegeDescription": "Allows " + p})
					}
					rm["Privileges"] = M{"Privilege": privs}
					rm["UserCount"] = roleUserCount(in, r.ID)
					roles = append(roles, rm)
				}
			}
			m["Roles"] = M{"Role": roles}
			delete(m, "Primary")
			delete(m, "PrivateOutboundNumberId")
			return m
		})}, nil
	})
	register("ModifySkillGroupOutboundNumbers", func(s *Sim, in *instance, a *args) (M, *apiError) {
		g, err := in.mustGroup(a.str("SkillGroupId"))
		if err != nil {
			return nil, err
		}
		op := a.int("OperationType", 0)
		if op != 1 && op != 2 {
			return nil, invalidParam("OperationType", "use 1 to add the numbers or 2 to remove them, got %d", op)
		}
		for _, id := range a.list("OutboundPhoneNumberId") {
			n, err := in.mustNumber(id)
			if err != nil {
				return nil, err
			}
			if op == 1 && !n.AllowOutbound {
				return nil, invalidParam("OutboundPhoneNumberId", "number %s is inbound only and cannot place calls", n.Number)
			}
		}
		for _, id := range a.list("OutboundPhoneNumberId") {
			g.OutboundNumberIDs = without(g.OutboundNumberIDs, id)
			if op == 1 {
				g.OutboundNumberIDs = append(g.OutboundNumberIDs, id)
			}
		}
		return M{}, nil
	})
	register("RemoveUsersFromSkillGroup", func(s *Sim, in *instance, a *args) (M, *apiError) {
		g, err := in.mustGroup(a.str("SkillGroupId"))
		if err != nil {
			return nil, err
		}
		var us []*user
		for _, id := range a.list("UserId") {
			u, err := in.mustUser(id)
			if err != nil {
				return nil, err
			}
			us = append(us, u)
		}
		for _, u := range us {
			removeSkill(u, g.ID)
		}
		return M{}, nil
	})
	register("ListTransferableSkillGroups", func(s *Sim, in *instance, a *args) (M, *apiError) {
		out := []M{}
		for _, g := range in.groups {
			out = append(out, groupJSON(in, g))
		}
		return M{"SkillGroups": out}, nil
	})

	// Users.
	register("CreateUser", func(s *Sim, in *instance, a *args) (M, *apiError) {
		login := a.str("LoginName")
		if in.userByLogin(login) != nil {
			return nil, errf(409, "AlreadyExists.User", "User %q already exists in instance %s; pick another login name.", login, in.ID)
		}
		u := &user{UserID: s.nextID(""), RamID: s.nextRam(),
			LoginName: login, DisplayName: a.str("DisplayName"), Email: a.str("Email"), Phone: a.str("Phone"),
			Extension: nextExtension(in), State: StateOffline, Since: s.now().Truncate(1e9)}
		if err := applyUserFields(s, in, u, a); err != nil {
			return nil, err
		}
		in.users = append(in.users, u)
		return M{"UserId": u.UserID}, nil
	})
	register("ModifyUser", func(s *Sim, in *instance, a *args) (M, *apiError) {
		u, err := in.mustUser(a.str("UserId"))
		if err != nil {
			return nil, err
		}
		cp := *u
		if err := applyUserFields(s, in, &cp, a); err != nil {
			return nil, err
		}
		cp.DisplayName, cp.Email, cp.Phone = a.str("DisplayName"), a.str("Email"), a.str("Phone")
		*u = cp
		return M{}, nil
	})
	register("ModifySkillGroupOfUser", func(s *Sim, in *instance, a *args) (M, *apiError) {
		u, err := in.mustUser(a.str("UserId"))
		if err != nil {
			return nil, err
		}
		cp := *u
		if err := applyUserFields(s, in, &cp, a); err != nil {
			return nil, err
		}
		*u = cp
		return M{}, nil
	})
	register("RemoveUsers", func(s *Sim, in *instance, a *args) (M, *apiError) {
		ids := a.list("UserId")
		for _, id := range ids {
			if _, err := in.mustUser(id); err != nil {
				return nil, err
			}
		}
		kept := in.users[:0:0]
		for _, u := range in.users {
			if !contains(ids, u.UserID) {
				kept = append(kept, u)
			}
		}
		in.users = kept
		return M{}, nil
	})
	register("GetUser", func(s *Sim, in *instance, a *args) (M, *apiError) {
		u, err := in.mustUser(a.str("UserId"))
		if err != nil {
			return nil, err
		}
		m := userJSON(in, u)
		delete(m, "Primary")
		delete(m, "PrivateOutboundNumberId")
		return M{"User": m}, nil
	})
	register("GetUserByExtension", func(s *Sim, in *instance, a *args) (M, *apiError) {
		ext := a.str("Extension")
		for _, u := range in.users {
			if u.Extension == ext {
				d := detailJSON(u)
				d["Extension"] = u.Extension
				return M{"User": M{"UserId": u.UserID, "RamId": u.RamID, "InstanceId": in.ID, "Detail": d,
					"Roles": rolesJSON(in, u), "SkillLevels": skillLevelsJSON(in, u)}}, nil
			}
		}
		return nil, notFound("Extension", ext, in.ID)
	})
	register("ListUsers", func(s *Sim, in *instance, a *args) (M, *apiError) {
		return M{"Users": usersPage(in, in.users, a, func(u *user) M { return userJSON(in, u) })}, nil
	})
	register("FindUsers", func(s *Sim, in *instance, a *args) (M, *apiError) {
		q := strings.ToLower(a.str("Criteria"))
		var found []*user
		for _, u := range in.users {
			hay := strings.ToLower(strings.Join([]string{u.LoginName, u.DisplayName, u.Email, u.Phone, u.Extension, u.RamID}, " "))
			if q == "" || strings.Contains(hay, q) {
				found = append(found, u)
			}
		}
		return M{"Users": usersPage(in, found, a, func(u *user) M {
			m := userJSON(in, u)
			delete(m, "Primary")
			return m
		})}, nil
	})
	register("AssignUsers", func(s *Sim, in *instance, a *args) (M, *apiError) {
		out := []M{}
		for _, ram := range a.list("UserRamId") {
			if _, err := strconv.ParseInt(ram, 10, 64); err != nil {
				return nil, invalidParam("UserRamId", "a RAM user id is numeric, got %q", ram)
			}
		}
		for _, ram := range a.list("UserRamId") {
			u := in.userByRam(ram)
			if u == nil {
				u = &user{UserID: s.nextID(""), RamID: ram, LoginName: "ram-" + ram, DisplayName: "RAM user " + ram,
					Extension: nextExtension(in), State: StateOffline, Since: s.now().Truncate(1e9)}
				in.users = append(in.users, u)
			}
			cp := *u
			if err := applyUserFields(s, in, &cp, a); err != nil {
				return nil, err
			}
			*u = cp
			out = append(out, M{"UserId": u.UserID, "RamId": u.RamID, "InstanceId": in.ID, "Primary": u.Primary})
		}
		return M{"Data": M{"User": out}}, nil
	})
	register("ListRealTimeAgent", func(s *Sim, in *instance, a *args) (M, *apiError) {
		out := []M{}
		for _, u := range in.users {
			out = append(out, M{"RamId": u.RamID, "DisplayName": u.DisplayName, "Dn": u.Extension, "Phone": u.Phone,
				"State": u.State, "StateDesc": stateDesc[u.State], "SkillLevels": M{"SkillLevel": skillLevelsJSON(in, u)}})
		}
		return M{"Data": M{"User": out}}, nil
	})
	register("ResetUserStatus", func(s *Sim, in *instance, a *args) (M, *apiError) {
		now := s.now().Truncate(1e9)
		var targets []*user
		if rams := a.list("RamIdList"); len(rams) > 0 {
			for _, ram := range rams {
				u := in.userByRam(strings.TrimSpace(ram))
				if u == nil {
					return nil, notFound("RamId", ram, in.ID)
				}
				targets = append(targets, u)
			}
		} else {
			for _, u := range in.users {
				if u.abnormal(s.now()) {
					targets = append(targets, u)
				}
			}
		}
		for _, u := range targets {
			if u.State == StateOffline {
				continue
			}
			u.State, u.Since, u.BreakCode = StateReady, now, ""
			in.extraLog[u.UserID] = append(in.extraLog[u.UserID], stateLog{At: now, State: StateReady, Code: "Reset"})
		}
		return M{}, nil
	})
	register("ListAgentEvents", func(s *Sim, in *instance, a *args) (M, *apiError) {
		from, to := msRange(s, a, "StartTime", "StopTime")
		events := a.list("Event")
		out := []M{}
		for _, ram := range a.list("RamId") {
			u := in.userByRam(ram)
			if u == nil {
				return nil, notFound("RamId", ram, in.ID)
			}
			ramN, _ := strconv.ParseInt(u.RamID, 10, 64)
			groups := []M{}
			for _, sl := range u.Skills {
				if g := in.group(sl.GroupID); g != nil {
					groups = append(groups, M{"SkillGroupId": g.ID, "SkillGroupName": g.Name})
				}
			}
			for _, l := range s.stateLogs(in, u) {
				if l.At.Before(from) || !l.At.Before(to) {
					continue
				}
				ev := l.State // the simulator names an agent event after the state it enters (Login, Logout, Ready, Talking, …)
				if len(events) > 0 && !contains(events, ev) {
					continue
				}
				out = append(out, M{"Event": ev, "EventTime": ms(l.At), "InstanceId": in.ID, "LoginName": u.LoginName, "RamId": ramN,
					"SkillGroupIds": M{"SkillGroup": groups}})
			}
		}
		return M{"AgentEventList": M{"AgentEvent": out}}, nil
	})
}

type member struct {
	u     *user
	level int
}

// membersOf reads the parallel UserId / SkillLevel lists.
func membersOf(in *instance, a *args) ([]member, *apiError) {
	ids, levels := a.list("UserId"), a.ints("SkillLevel")
	var out []member
	for i, id := range ids {
		u, err := in.mustUser(id)
		if err != nil {
			return nil, err
		}
		lvl := 5
		if i < len(levels) {
			lvl = int(levels[i])
		}
		if lvl < 1 || lvl > 10 {
			return nil, invalidParam("SkillLevel", "levels go from 1 to 10, got %d", lvl)
		}
		out = append(out, member{u, lvl})
	}
	return out, nil
}

func setGroupNumbers(in *instance, g *skillGroup, ids []string) *apiError {
	for _, id := range ids {
		if _, err := in.mustNumber(id); err != nil {
			return err
		}
	}
	g.OutboundNumberIDs = append([]string{}, ids...)
	return nil
}

// applyUserFields applies RoleId, SkillGroupId/SkillLevel and
// PrivateOutboundNumberId to u, checking that everything exists.
func applyUserFields(s *Sim, in *instance, u *user, a *args) *apiError {
	if a.has("RoleId") {
		for _, id := range a.list("RoleId") {
			if in.role(id) == nil {
				return notFound("RoleId", id, in.ID)
			}
		}
		u.Roles = append([]string{}, a.list("RoleId")...)
	}
	if a.has("SkillGroupId") {
		levels := a.ints("SkillLevel")
		var skills []skillLevel
		for i, id := range a.list("SkillGroupId") {
			if _, err := in.mustGroup(id); err != nil {
				return err
			}
			lvl := 5
			if i < len(levels) {
				lvl = int(levels[i])
			}
			if lvl < 1 || lvl > 10 {
				return invalidParam("SkillLevel", "levels go from 1 to 10, got %d", lvl)
			}
			skills = append(skills, skillLevel{ID: s.nextID(""), GroupID: id, Level: lvl})
		}
		u.Skills = skills
	}
	if a.has("PrivateOutboundNumberId") {
		id := a.str("PrivateOutboundNumberId")
		if id != "" {
			if _, err := in.mustNumber(id); err != nil {
				return err
			}
		}
		u.PrivateOutboundNumberID = id
	}
	return nil
}

func setSkill(s *Sim, u *user, groupID string, level int) {
	for i := range u.Skills {
		if u.Skills[i].GroupID == groupID {
			u.Skills[i].Level = level
			return
		}
	}
	u.Skills = append(u.Skills, skillLevel{ID: s.nextID(""), GroupID: groupID, Level: level})
}

func removeSkill(u *user, groupID string) {
	kept := u.Skills[:0:0]
	for _, sl := range u.Skills {
		if sl.GroupID != groupID {
			kept = append(kept, sl)
		}
	}
	u.Skills = kept
}

func hasSkill(u *user, groupID string) bool {
	for _, sl := range u.Skills {
		if sl.GroupID == groupID {
			return true
		}
	}
	return false
}

func roleUserCount(in *instance, id string) int {
	n := 0
	for _, u := range in.users {
		if contains(u.Roles, id) {
			n++
		}
	}
	return n
}

func nextExtension(in *instance) string {
	hi := 0
	for _, u := range in.users {
		if n, err := strconv.Atoi(u.Extension); err == nil && n > hi {
			hi = n
		}
	}
	return strconv.Itoa(hi + 1)
}

func contains(list []string, v string) bool { return slices.Contains(list, v) }

func without(list []string, v string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}
