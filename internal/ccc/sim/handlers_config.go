package sim

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

func registerConfigHandlers() {
	register("GetConfig", func(s *Sim, in *instance, a *args) (M, *apiError) {
		typ, obj, name := strings.ToLower(a.str("ObjectType")), a.str("ObjectId"), a.str("Name")
		if typ == "instance" && obj == "" {
			obj = in.ID
		}
		for _, c := range in.config {
			if c.ObjectType == typ && c.ObjectID == obj && c.Name == name {
				return M{"ConfigItem": M{"Name": c.Name, "Value": c.Value}}, nil
			}
		}
		return nil, errf(404, "NotExists.ConfigItem", "Config item %q of %s %q does not exist in instance %s. Call ListConfig to see the names.", name, typ, obj, in.ID)
	})
	register("ListConfig", func(s *Sim, in *instance, a *args) (M, *apiError) {
		want := a.list("ConfigItem")
		out := []M{}
		for _, c := range in.config {
			if c.ObjectType != "instance" || (len(want) > 0 && !contains(want, c.Name)) {
				continue
			}
			out = append(out, M{"Name": c.Name, "Value": c.Value})
		}
		return M{"ConfigItems": M{"ConfigItem": out}}, nil
	})
	register("GetServiceExtensions", func(s *Sim, in *instance, a *args) (M, *apiError) {
		typ := a.str("ServiceType")
		exts, ok := in.ext[typ]
		if !ok {
			return nil, invalidParam("ServiceType", "use one of %s, got %q", strings.Join(sortedKeys(in.ext), ", "), typ)
		}
		out := []M{}
		for _, e := range exts {
			out = append(out, M{"Name": e.Name, "Number": e.Number})
		}
		return M{"ServiceExtensions": M{"ServiceExtension": out}}, nil
	})
	register("RefreshToken", func(s *Sim, in *instance, a *args) (M, *apiError) {
		data := fmt.Sprintf(`{"instanceId":%q,"expires":%d}`, in.ID, s.now().Add(time.Hour).Unix())
		return M{"Token": M{"SignData": base64.StdEncoding.EncodeToString([]byte(data)), "Signature": SignRPC("POST", map[string]string{"d": data}, in.TenantID)}}, nil
	})
	register("RequestLoginInfo", func(s *Sim, in *instance, a *args) (M, *apiError) {
		u := in.users[0]
		if id := a.str("UserId"); id != "" {
			var err *apiError
			if u, err = in.mustUser(id); err != nil {
				return nil, err
			}
		}
		data := fmt.Sprintf(`{"user":%q,"expires":%d}`, u.LoginName, s.now().Add(time.Hour).Unix())
		return M{"LoginInfo": M{"UserName": u.LoginName, "DisplayName": u.DisplayName, "Extension": u.Extension, "PhoneNumber": u.Phone,
			"Region": in.Region, "TenantId": in.TenantID, "AgentServerUrl": "wss://agent." + in.DomainName + ".sim.invalid/agent",
			"WebRtcUrl": "wss://webrtc." + in.DomainName + ".sim.invalid/ws", "SignData": base64.StdEncoding.EncodeToString([]byte(data)),
			"Signature": SignRPC("POST", map[string]string{"d": data}, in.TenantID), "Roles": M{"Role": rolesJSON(in, u)}}}, nil
	})
	register("GetTURNCredentials", func(s *Sim, in *instance, a *args) (M, *apiError) {
		name := a.str("UserName")
		u := in.userByLogin(name)
		if u == nil {
			return nil, notFound("UserName", name, in.ID)
		}
		exp := s.now().Add(12 * time.Hour).Unix()
		user := fmt.Sprintf("%d:%s", exp, u.LoginName)
		return M{"Username": user, "Password": SignRPC("POST", map[string]string{"u": user}, in.TenantID)}, nil
	})
	register("GetTURNServerList", func(s *Sim, in *instance, a *args) (M, *apiError) {
		cfg := fmt.Sprintf(`[{"urls":["turn:turn1.%[1]s.sim.invalid:3478?transport=udp","turn:turn1.%[1]s.sim.invalid:3478?transport=tcp"]},{"urls":["turn:turn2.%[1]s.sim.invalid:3478?transport=udp"]}]`, in.DomainName)
		return M{"TurnServerListConfig": cfg}, nil
	})
	register("ListTrunkProviders", func(s *Sim, in *instance, a *args) (M, *apiError) {
		out := []M{}
		for _, p := range s.providers {
			out = append(out, M{"ProviderName": p.Name, "Status": p.Status})
		}
		return M{"TrunkProviders": out}, nil
	})
	register("DisableTrunkProviders", func(s *Sim, in *instance, a *args) (M, *apiError) {
		var hit []*trunkProvider
		for _, name := range a.list("ProviderName") {
			var p *trunkProvider
			for _, x := range s.providers {
				if x.Name == name {
					p = x
				}
			}
			if p == nil {
				return nil, notFound("ProviderName", name, "")
			}
			hit = append(hit, p)
		}
		for _, p := range hit {
			p.Status = "Disabled"
		}
		return M{}, nil
	})
	register("ListTrunksOfSkillGroup", func(s *Sim, in *instance, a *args) (M, *apiError) {
		g, err := in.mustGroup(a.str("SkillGroupId"))
		if err != nil {
			return nil, err
		}
		out := []M{}
		for _, t := range in.trunks[g.ID] {
			out = append(out, M{"ProviderName": t.Provider, "Primary": t.Primary})
		}
		return M{"TrunkConfigs": out}, nil
	})
	register("ModifyPrimaryTrunksOfSkillGroup", func(s *Sim, in *instance, a *args) (M, *apiError) {
		g, err := in.mustGroup(a.str("SkillGroupId"))
		if err != nil {
			return nil, err
		}
		primary := a.list("PrimaryProviderName")
		for _, name := range primary {
			found := false
			for _, p := range s.providers {
				found = found || p.Name == name
			}
			if !found {
				return nil, notFound("ProviderName", name, "")
			}
		}
		var out []trunkConfig
		for _, name := range primary {
			out = append(out, trunkConfig{Provider: name, Primary: true})
		}
		for _, t := range in.trunks[g.ID] {
			if !contains(primary, t.Provider) {
				out = append(out, trunkConfig{Provider: t.Provider, Primary: false})
			}
		}
		in.trunks[g.ID] = out
		return M{}, nil
	})

	// Contact flows.
	register("CreateContactFlow", func(s *Sim, in *instance, a *args) (M, *apiError) {
		name := a.str("Name")
		for _, f := range in.flows {
			if strings.EqualFold(f.Name, name) {
				return nil, errf(409, "AlreadyExists.ContactFlow", "Contact flow %q already exists in instance %s; pick another name.", name, in.ID)
			}
		}
		f := &contactFlow{ID: s.nextID(""), Name: name, Description: a.str("Description"), Type: a.str("Type")}
		v := &flowVersion{ID: s.nextID(""), Version: "1", Description: "Created", Canvas: a.vals["Canvas"], Content: a.vals["Content"],
			LastModified: s.now().Truncate(time.Second), LastModifiedBy: "api", Status: "Draft"}
		f.versions = []*flowVersion{v}
		in.flows = append(in.flows, f)
		return M{"ContactFlow": flowJSON(in, f, true)}, nil
	})
	register("CommitContactFlowVersionModification", func(s *Sim, in *instance, a *args) (M, *apiError) {
		id := a.str("ContactFlowVersionId")
		f, v := in.flowVersion(id)
		if v == nil {
			return nil, notFound("ContactFlowVersionId", id, in.ID)
		}
		if v.Status == "Published" {
			// A published version stays as it is; the change becomes a new draft.
			nv := &flowVersion{ID: s.nextID(""), Version: strconv.Itoa(len(f.versions) + 1), Description: "Modified from version " + v.Version}
			f.versions = append(f.versions, nv)
			v = nv
		}
		v.Canvas, v.Content, v.Status, v.LockedBy = a.vals["Canvas"], a.vals["Content"], "Draft", ""
		v.LastModified, v.LastModifiedBy = s.now().Truncate(time.Second), "api"
		return M{"ContactFlowVersion": versionJSON(v, true)}, nil
	})
	register("GetRoutePoint", func(s *Sim, in *instance, a *args) (M, *apiError) {
		f, err := in.mustFlow(a.str("ContactFlowId"))
		if err != nil {
			return nil, err
		}
		return M{"RoutePoint": "rp-" + f.ID[:8]}, nil
	})
	register("ListContactFlows", func(s *Sim, in *instance, a *args) (M, *apiError) {
		out := []M{}
		for _, f := range in.flows {
			out = append(out, flowJSON(in, f, false))
		}
		return M{"ContactFlows": M{"ContactFlow": out}}, nil
	})
	register("PublishContactFlowVersion", func(s *Sim, in *instance, a *args) (M, *apiError) {
		id := a.str("ContactFlowVersionId")
		f, v := in.flowVersion(id)
		if v == nil {
			return nil, notFound("ContactFlowVersionId", id, in.ID)
		}
		for _, o := range f.versions {
			if o.Status == "Published" {
				o.Status = "Archived"
			}
		}
		v.Status, v.LockedBy = "Published", ""
		f.Applied = v.ID
		return M{}, nil
	})

	// Diagnostics.
	register("AddAgentDevice", func(s *Sim, in *instance, a *args) (M, *apiError) {
		id := int64(stream(in))*1000 + int64(len(in.devices)+1)
		for _, d := range in.devices {
			id = max(id, d.ID+1)
		}
		in.devices = append(in.devices, &device{ID: id, BrowserVersion: a.vals["BrowserVersion"], ClientIP: a.str("ClientIp"),
			ClientPort: a.str("ClientPort"), Rm: a.vals["Remark"], IsLogin: 1, LoginTime: s.now().Truncate(time.Second)})
		return M{"AgentDeviceId": id}, nil
	})
	register("ModifyAgentDevice", func(s *Sim, in *instance, a *args) (M, *apiError) {
		id := a.int("AgentDeviceId", 0)
		for _, d := range in.devices {
			if d.ID == id {
				if a.has("IsLogin") {
					v := a.int("IsLogin", 0)
					if v != 0 && v != 1 {
						return nil, invalidParam("IsLogin", "use 1 (logged in) or 0 (logged out), got %d", v)
					}
					d.IsLogin = int(v)
				}
				return M{}, nil
			}
		}
		return nil, notFound("AgentDeviceId", strconv.FormatInt(id, 10), in.ID)
	})
	register("ListAgentDevices", func(s *Sim, in *instance, a *args) (M, *apiError) {
		rams := splitList(a.str("RamIds"))
		from, to := msRange(s, a, "StartTime", "StopTime")
		from = from.Add(-30 * 24 * time.Hour)
		if a.has("StartTime") {
			from = fromMS(a.int("StartTime", 0))
		}
		out := []M{}
		for _, d := range in.devices {
			if len(rams) > 0 && !contains(rams, strconv.FormatInt(d.RamID, 10)) {
				continue
			}
			if d.LoginTime.Before(from) || d.LoginTime.After(to) {
				continue
			}
			out = append(out, M{"BrowserVersion": d.BrowserVersion, "ClientIp": d.ClientIP, "ClientPort": d.ClientPort, "InstanceId": in.ID,
				"IsLogin": d.IsLogin, "LoginTime": ms(d.LoginTime), "RamId": d.RamID, "Remark": d.Rm})
		}
		return M{"AgentDeviceList": M{"AgentDevice": out}}, nil
	})
	register("GetRecordOssUploadParam", func(s *Sim, in *instance, a *args) (M, *apiError) {
		name := a.str("FileName")
		exp := s.now().Add(30 * time.Minute).UTC().Format("2006-01-02T15:04:05Z")
		policy := base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf(`{"expiration":%q,"conditions":[["starts-with","$key","%s/uploads/"]]}`, exp, in.ID)))
		return M{"Host": "https://" + in.StorageBucket + ".oss-" + in.Region + ".aliyuncs.com.invalid", "Dir": in.ID + "/uploads/",
			"OssFileName": in.ID + "/uploads/" + name, "Expires": exp, "Policy": policy, "OssAccessKeyId": "sim-oss-" + in.TenantID,
			"Signature": SignRPC("POST", map[string]string{"p": policy}, in.TenantID)}, nil
	})
	register("SaveWebRTCStats", func(s *Sim, in *instance, a *args) (M, *apiError) {
		in.webrtc++
		return M{"RowCount": 1}, nil
	})

	// Voice appraise.
	register("ListVoiceAppraise", func(s *Sim, in *instance, a *args) (M, *apiError) {
		f := in.appraise
		versions := []M{}
		for _, v := range f.versions {
			m := versionJSON(v, true)
			delete(m, "Canvas")
			delete(m, "LockedBy")
			versions = append(versions, m)
		}
		nums := []M{}
		for _, n := range in.numbers {
			if n.Usage != "Outbound" {
				nums = append(nums, trimmed(numberJSON(in, n), "PhoneNumberId", "InstanceId", "Number", "PhoneNumberDescription", "RemainingTime", "Trunks"))
			}
		}
		return M{"Notice": in.notice, "ContactFlow": M{"ContactFlowId": f.ID, "ContactFlowName": f.Name, "ContactFlowDescription": f.Description,
			"InstanceId": in.ID, "Type": f.Type, "AppliedVersion": f.appliedVersion(), "Versions": M{"ContactFlowVersion": versions},
			"PhoneNumbers": M{"PhoneNumber": nums}}}, nil
	})
	register("CreateVoiceAppraise", func(s *Sim, in *instance, a *args) (M, *apiError) {
		id := a.str("ContactFlowVersionId")
		f, v := in.flowVersion(id)
		if v == nil {
			return nil, notFound("ContactFlowVersionId", id, in.ID)
		}
		v.Content = a.vals["Content"]
		v.LastModified, v.LastModifiedBy = s.now().Truncate(time.Second), "api"
		if f == in.appraise || a.bool("IsAppraise", true) {
			in.notice = "Survey updated " + fmtTime(s.now())
		}
		return M{}, nil
	})

	// SMS.
	register("GetSmsConfig", func(s *Sim, in *instance, a *args) (M, *apiError) {
		want := a.ints("Scenario")
		out := []M{}
		for _, c := range in.sms {
			hit := false
			for _, w := range want {
				hit = hit || int64(c.Scenario) == w
			}
			if !hit {
				continue
			}
			out = append(out, M{"Id": c.ID, "Instance": in.ID, "Name": c.Name, "Description": c.Description, "Scenario": c.Scenario,
				"SignName": c.SignName, "TemplateCode": c.TemplateCode, "Extra": c.Extra,
				"GmtCreate": fmtTime(c.Created), "GmtModified": fmtTime(c.Modified)})
		}
		return M{"SmsConfigs": M{"SmsConfig": out}}, nil
	})
}
