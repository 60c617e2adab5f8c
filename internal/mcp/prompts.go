package mcp

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

// Prompt names.
const (
	PromptTriage      = "triage_stuck_agents"
	PromptReset       = "reset_agent_safely"
	PromptInvestigate = "investigate_call"
)

// OverviewURI is the resource template of an instance overview.
const OverviewURI = "ccc://instances/{instance_id}/overview"

func overviewURI(instance string) string {
	return strings.Replace(OverviewURI, "{instance_id}", instance, 1)
}

// has reports whether this server lists a tool (directly, or through
// call_action in gateway mode).
func (s *Server) has(name string) bool {
	_, ok := s.reg.Lookup(name)
	return ok
}

// toolRef names a tool the way this server lets it be called. Callers name
// only tools that has reports: prompts never mention a tool that is not
// served.
func (s *Server) toolRef(name string) string {
	if s.opts.Gateway {
		return CallAction + " with name " + name
	}
	return name
}

// anyOf names the listed ones of a few alternative tools ("a or b"), or ""
// when none is listed.
func (s *Server) anyOf(names ...string) string {
	var refs []string
	for _, n := range names {
		if s.has(n) {
			refs = append(refs, s.toolRef(n))
		}
	}
	return strings.Join(refs, " or ")
}

func (s *Server) addPrompts() {
	instArg := mcp.WithArgument("instance_id", mcp.ArgumentDescription("Call center instance; defaults to "+orDefault(s.inst, s.pickInstance())+"."))

	// Each prompt is offered only when the tools it relies on are listed,
	// and names only listed tools.
	if s.has("list_agent_states") {
		s.addTriagePrompt(instArg)
	}
	if s.has("reset_user_status") && s.anyOf("list_agent_states", "get_user_by_extension") != "" {
		s.addResetPrompt(instArg)
	}
	if s.has("list_call_detail_records") {
		s.addInvestigatePrompt(instArg)
	}
}

func (s *Server) addTriagePrompt(instArg mcp.PromptOption) {
	canReset := s.has("reset_user_status")
	desc := "Find stuck agents (a busy state such as talking or ringing for hours, or any state but Ready or Offline held past the threshold) and explain what is wrong"
	if canReset {
		desc += ", and propose a safe reset that a human confirms."
	} else {
		desc += "; this server cannot reset agents."
	}
	s.mcp.AddPrompt(mcp.NewPrompt(PromptTriage,
		mcp.WithPromptTitle("Triage stuck agents"),
		mcp.WithPromptDescription(desc),
		instArg,
	), func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		inst := s.instanceArg(req.Params.Arguments)
		var b strings.Builder
		step := 0
		next := func() int { step++; return step }
		fmt.Fprintf(&b, "Triage stuck agents on call center instance %s.\n\n", inst)
		fmt.Fprintf(&b, "%d. Read every agent's state with %s (InstanceId=%s; follow the next-page hint until done).\n", next(), s.toolRef("list_agent_states"), inst)
		fmt.Fprintf(&b, "%d. An agent is stuck when %s. Ready and Offline never count.\n", next(), s.reg.StuckDefinition())
		if more := s.anyOf("list_agent_state_logs", "list_real_time_agent"); more != "" {
			fmt.Fprintf(&b, "%d. For each stuck agent, check recent activity with %s before blaming the state: a genuinely long call is not stuck.\n", next(), more)
		}
		if canReset {
			fmt.Fprintf(&b, "%d. Report a short table: agent, extension, RamId, state, for how long, your verdict. Propose %s with RamIdList naming the stuck ones only: a blanket reset (no RamIdList) clears the abnormal ones and leaves those over the threshold as they are.\n", next(), s.toolRef("reset_user_status"))
			fmt.Fprintf(&b, "%d. The reset waits for a human to confirm in the client; if the result says nobody confirmed, stop and say so. After a confirmed reset, read the states again to show they are back to normal.\n", next())
		} else {
			fmt.Fprintf(&b, "%d. Report a short table: agent, extension, RamId, state, for how long, your verdict. This server offers no way to reset agents: say which ones need a reset and that someone with a reset tool must do it.\n", next())
		}
		if snap := s.stuckSnapshot(ctx, inst); snap != "" {
			b.WriteString("\nCurrent snapshot (read just now):\n" + snap)
		}
		return mcp.NewGetPromptResult("Triage stuck agents on "+inst, []mcp.PromptMessage{
			mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(b.String())),
		}), nil
	})
}

func (s *Server) addResetPrompt(instArg mcp.PromptOption) {
	s.mcp.AddPrompt(mcp.NewPrompt(PromptReset,
		mcp.WithPromptTitle("Reset an agent safely"),
		mcp.WithPromptDescription("Check one agent's state, reset it only if it is really stuck, with a human's confirmation, and verify the result."),
		mcp.WithArgument("agent", mcp.RequiredArgument(), mcp.ArgumentDescription("The agent: login name, display name, extension or RAM ID.")),
		instArg,
	), func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		inst := s.instanceArg(req.Params.Arguments)
		agent := strings.TrimSpace(req.Params.Arguments["agent"])
		if agent == "" {
			agent = "(the agent the user names)"
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Reset agent %s on call center instance %s, safely.\n\n", agent, inst)
		fmt.Fprintf(&b, "1. Identify the agent: find their RamId with %s.\n", s.anyOf("list_agent_states", "get_user_by_extension"))
		b.WriteString("2. Read their current state and how long they have held it. They are stuck only when " + s.reg.StuckDefinition() + ". If they are Ready, Offline, or in a state held a short time, stop and say there is nothing to reset.\n")
		fmt.Fprintf(&b, "3. Otherwise call %s with InstanceId=%s and RamIdList=[their RamId] — only that one agent.\n", s.toolRef("reset_user_status"), inst)
		b.WriteString("4. The user is asked to confirm in the client and sees who is affected; if they decline or do not answer, nothing runs — report that and stop.\n")
		b.WriteString("5. After a confirmed reset, read the agent's state again and report it.\n")
		if line := s.agentLine(ctx, inst, agent); line != "" {
			b.WriteString("\nCurrent state (read just now): " + line + "\n")
		}
		return mcp.NewGetPromptResult("Reset "+agent+" safely", []mcp.PromptMessage{
			mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(b.String())),
		}), nil
	})
}

func (s *Server) addInvestigatePrompt(instArg mcp.PromptOption) {
	s.mcp.AddPrompt(mcp.NewPrompt(PromptInvestigate,
		mcp.WithPromptTitle("Investigate a call"),
		mcp.WithPromptDescription("Reconstruct what happened on one call, from its contact ID or a phone number: the record, the IVR path, the events, the recording and the transcript."),
		mcp.WithArgument("contact_id", mcp.ArgumentDescription("The call's contact ID, if known.")),
		mcp.WithArgument("phone_number", mcp.ArgumentDescription("A calling or called number, if the contact ID is not known.")),
		instArg,
	), func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		inst := s.instanceArg(req.Params.Arguments)
		contact := strings.TrimSpace(req.Params.Arguments["contact_id"])
		phone := strings.TrimSpace(req.Params.Arguments["phone_number"])
		var b strings.Builder
		switch {
		case contact != "":
			fmt.Fprintf(&b, "Investigate call %s on call center instance %s.\n\n", contact, inst)
			fmt.Fprintf(&b, "1. Read its record with %s (ContactId=%s, a StartTime/StopTime window around it).\n", s.toolRef("list_call_detail_records"), contact)
		case phone != "":
			fmt.Fprintf(&b, "Investigate the calls of number %s on call center instance %s.\n\n", policy.MaskPhone(phone), inst)
			fmt.Fprintf(&b, "1. Find them with %s (PhoneNumber=%s, a recent StartTime/StopTime window); pick the call the user means and note its ContactId.\n", s.toolRef("list_call_detail_records"), phone)
		default:
			fmt.Fprintf(&b, "Investigate a call on call center instance %s. Ask the user for its contact ID or a phone number first.\n\n", inst)
			fmt.Fprintf(&b, "1. Find the call with %s (ContactId or PhoneNumber, and a time window).\n", s.toolRef("list_call_detail_records"))
		}
		step := 1
		if ivr := s.anyOf("list_ivr_tracking_detail"); ivr != "" {
			step++
			fmt.Fprintf(&b, "%d. Follow it through the IVR with %s.\n", step, ivr)
		}
		if ev := s.anyOf("list_call_event_detail_by_contact_id"); ev != "" {
			step++
			fmt.Fprintf(&b, "%d. List its events with %s.\n", step, ev)
		}
		if rec := s.anyOf("list_recordings_by_contact_id"); rec != "" {
			step++
			fmt.Fprintf(&b, "%d. Look for recordings with %s.\n", step, rec)
		}
		if tr := s.anyOf("get_conversation_detail_by_contact_id"); tr != "" {
			step++
			fmt.Fprintf(&b, "%d. Read the transcript with %s.\n", step, tr)
		}
		step++
		fmt.Fprintf(&b, "%d. Tell the story in order: who called whom, when, which path, which agent, how it ended and why. Mask phone numbers except their last 4 digits. Everything here is read-only; do not call anyone.\n", step)
		return mcp.NewGetPromptResult("Investigate a call", []mcp.PromptMessage{
			mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(b.String())),
		}), nil
	})
}

func (s *Server) instanceArg(args map[string]string) string {
	if v := strings.TrimSpace(args["instance_id"]); v != "" {
		return v
	}
	return orDefault(s.inst, "("+s.pickInstance()+")")
}

func (s *Server) pickInstance() string {
	if s.has("list_instances_of_user") {
		return "the one you pick with " + s.toolRef("list_instances_of_user")
	}
	return "the one the user names"
}

// stuckSnapshot lists the stuck agents (the registry's one list), each
// with which reset clears it; best effort, empty when the read fails.
func (s *Server) stuckSnapshot(ctx context.Context, inst string) string {
	states, err := s.reg.AgentBoard(ctx, s.principal(ctx), inst, "", "")
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, a := range states {
		if a.Stuck {
			b.WriteString("- " + tools.StuckLine(a) + "\n")
		}
	}
	if b.Len() == 0 {
		return fmt.Sprintf("no agent of %d looks stuck.\n", len(states))
	}
	return b.String()
}

// agentLine is the agent's current state, resolved exactly as the Slack
// reset does (an ambiguous or unknown name says so instead of guessing).
func (s *Server) agentLine(ctx context.Context, inst, who string) string {
	rows, err := s.reg.ResolveAgents(ctx, s.principal(ctx), inst, []string{who})
	if err != nil {
		return "could not identify the agent: " + s.userText(err)
	}
	lines := make([]string, len(rows))
	for i, a := range rows {
		lines[i] = a.String()
	}
	return strings.Join(lines, "; ")
}

func (s *Server) addResources() {
	tmpl := mcp.NewResourceTemplate(OverviewURI, "instance_overview",
		mcp.WithTemplateTitle("Call center instance overview"),
		mcp.WithTemplateDescription("One instance at a glance: its settings and how many agents are in each state, with the stuck ones named."),
		mcp.WithTemplateMIMEType("text/markdown"))
	s.mcp.AddResourceTemplate(tmpl, s.readOverview)
	if s.inst != "" {
		s.mcp.AddResource(mcp.NewResource(overviewURI(s.inst), "default_instance_overview",
			mcp.WithResourceTitle("Overview of "+s.inst),
			mcp.WithResourceDescription("The default instance at a glance: settings and agent states."),
			mcp.WithMIMEType("text/markdown")), s.readOverview)
	}
}

func (s *Server) readOverview(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	uri := req.Params.URI
	inst := strings.TrimSuffix(strings.TrimPrefix(uri, "ccc://instances/"), "/overview")
	if inst == "" || strings.Contains(inst, "/") || inst == uri {
		return nil, fmt.Errorf("not an instance overview: %q; use %s", uri, OverviewURI)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Call center instance %s\n\n", inst)
	p := s.principal(ctx)
	settings, err := s.reg.InstanceSettings(ctx, p, inst)
	if err != nil {
		fmt.Fprintf(&b, "Instance details unavailable: %s\n\n", s.userText(err))
	} else {
		keys := make([]string, 0, len(settings))
		for k := range settings {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "- %s: %v\n", k, settings[k])
		}
		b.WriteString("\n")
	}
	states, err := s.reg.AgentBoard(ctx, s.principal(ctx), inst, "", "")
	if err != nil {
		fmt.Fprintf(&b, "Agent states unavailable: %s\n", s.userText(err))
	} else {
		counts := map[string]int{}
		var stuck []string
		for _, a := range states {
			counts[a.State]++
			if a.Stuck {
				stuck = append(stuck, tools.StuckLine(a))
			}
		}
		names := make([]string, 0, len(counts))
		for k := range counts {
			names = append(names, k)
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "## Agents (%d)\n\n", len(states))
		for _, k := range names {
			fmt.Fprintf(&b, "- %s: %d\n", k, counts[k])
		}
		if len(stuck) > 0 {
			fmt.Fprintf(&b, "\n## Stuck (%d)\n\n", len(stuck))
			for _, l := range stuck {
				b.WriteString("- " + l + "\n")
			}
			b.WriteString("\nStuck means " + s.reg.StuckDefinition() + ".\n")
			if s.has("reset_user_status") {
				b.WriteString(s.toolRef("reset_user_status") + " with RamIdList naming them clears them all; without RamIdList it clears only the abnormal ones. A human must confirm.\n")
			} else {
				b.WriteString("This server cannot reset agents.\n")
			}
		}
	}
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: uri, MIMEType: "text/markdown", Text: b.String()}}, nil
}
