package tools_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

// findCases are questions people ask of the catalog, on call and off, with
// the tools each must find in its first five answers and tools that must
// not appear there at all.
var findCases = []struct {
	q       string
	want    []string // each in the top 5
	first   string   // when set, the best answer
	notWant []string // none in the top 5
}{
	// Issue 14's own questions.
	{q: "reset agent", want: []string{"reset_user_status", "list_agent_states", "list_real_time_agent"}, notWant: []string{"request_login_info"}},
	{q: "stuck agents", want: []string{"list_agent_states", "list_real_time_agent", "reset_user_status"}, notWant: []string{"request_login_info"}},
	{q: "who is stuck", want: []string{"list_agent_states", "list_real_time_agent", "reset_user_status"},
		notWant: []string{"get_config", "list_config", "get_service_extensions", "refresh_token", "request_login_info"}},
	{q: "call logs", want: []string{"list_call_detail_records"}, first: "list_call_detail_records"},
	// Agents now.
	{q: "hung agent", want: []string{"list_agent_states", "list_real_time_agent", "reset_user_status"}},
	{q: "frozen", want: []string{"list_agent_states", "list_real_time_agent", "reset_user_status"}},
	{q: "agents on break", want: []string{"list_agent_states", "list_real_time_agent"}},
	{q: "is anyone available", want: []string{"list_agent_states", "list_real_time_agent"}},
	{q: "who is logged in", want: []string{"list_real_time_agent", "list_agent_states"}},
	{q: "unstick an agent", want: []string{"reset_user_status"}, first: "reset_user_status"},
	// Calls and their story.
	{q: "call history", want: []string{"list_call_detail_records"}, first: "list_call_detail_records"},
	{q: "CDRs for today", want: []string{"list_call_detail_records"}, first: "list_call_detail_records"},
	{q: "missed calls", want: []string{"list_call_detail_records"}},
	{q: "who called", want: []string{"list_call_detail_records"}, first: "list_call_detail_records"},
	{q: "events of a call", want: []string{"list_call_event_detail_by_contact_id"}, first: "list_call_event_detail_by_contact_id"},
	{q: "where did the caller hang up", want: []string{"list_ivr_tracking_detail", "list_call_event_detail_by_contact_id"}},
	{q: "listen to the recording", want: []string{"download_recording", "list_recordings_by_contact_id"}},
	{q: "call audio", want: []string{"download_recording", "list_recordings_by_contact_id"}},
	{q: "transcript", want: []string{"get_conversation_detail_by_contact_id"}, first: "get_conversation_detail_by_contact_id"},
	{q: "what did the customer say", want: []string{"get_conversation_detail_by_contact_id"}, first: "get_conversation_detail_by_contact_id"},
	// Queues, numbers, trunks, texts.
	{q: "queues", want: []string{"list_skill_groups"}, first: "list_skill_groups", notWant: []string{"delete_skill_group"}},
	{q: "queue stats", want: []string{"list_skill_group_states", "list_skill_group_summary_reports"}},
	{q: "agents in a queue", want: []string{"list_users_of_skill_group"}},
	{q: "our DIDs", want: []string{"list_phone_numbers"}, first: "list_phone_numbers"},
	{q: "phone numbers", want: []string{"list_phone_numbers", "add_phone_number"}},
	{q: "sip trunk", want: []string{"list_trunk_providers", "list_trunks_of_skill_group"}},
	{q: "caller id of an agent", want: []string{"list_outbound_phone_number_of_user"}},
	{q: "send an SMS", want: []string{"send_predefined_short_message"}, first: "send_predefined_short_message"},
	{q: "text message template", want: []string{"get_sms_config", "send_predefined_short_message"}},
	// Reports.
	{q: "report", want: []string{"get_instance_summary_report", "list_agent_summary_reports"}},
	{q: "agent stats", want: []string{"generate_agent_statistic_report", "list_agent_summary_reports"}, notWant: []string{"save_web_rtc_stats"}},
	{q: "metrics today", want: []string{"get_instance_summary_report_since_midnight"}},
	{q: "how many calls today", want: []string{"get_instance_summary_report_since_midnight"}},
	{q: "service level", want: []string{"list_skill_group_summary_reports"}},
	{q: "billing minutes", want: []string{"list_call_measure_summary_reports", "get_call_measure_summary_report"}},
	// Signing in and out.
	{q: "login", want: []string{"request_login_info", "list_agent_events"}},
	{q: "agent sign in history", want: []string{"list_agent_events"}},
	{q: "logout", want: []string{"list_agent_events", "modify_agent_device"}},
	// The rest of the center.
	{q: "ivr", want: []string{"list_contact_flows", "list_ivr_tracking_detail"}},
	{q: "customer satisfaction survey", want: []string{"list_voice_appraise", "launch_appraise"}},
	{q: "permissions", want: []string{"list_roles"}, first: "list_roles"},
	{q: "who has extension 8001", want: []string{"get_user_by_extension"}},
	{q: "call a customer", want: []string{"start_back2_back_call", "dial_ex"}},
	{q: "webrtc call quality", want: []string{"save_web_rtc_stats"}, first: "save_web_rtc_stats"},
	// Names, spelt nearly right.
	{q: "list_agent_state", first: "list_agent_states"},
	{q: "ListAgentState", first: "list_agent_states"},
	{q: "reset_usr_status", first: "reset_user_status"},
	{q: "recrding", want: []string{"download_recording"}},
	// The overview's Chinese words.
	{q: "坐席状态", want: []string{"list_agent_states"}},
	{q: "通话详单", want: []string{"list_call_detail_records"}, first: "list_call_detail_records"},
}

func TestFindAnswersOnCallQuestions(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	if len(findCases) < 25 {
		t.Fatalf("only %d questions", len(findCases))
	}
	for _, c := range findCases {
		hits := e.reg.Find(c.q, 5)
		names := make([]string, len(hits))
		got := map[string]bool{}
		for i, h := range hits {
			names[i] = h.Name
			got[h.Name] = true
		}
		for _, w := range c.want {
			if !got[w] {
				t.Errorf("%q: %s is not in the top 5: %v", c.q, w, names)
			}
		}
		for _, w := range c.notWant {
			if got[w] {
				t.Errorf("%q: %s should not be in the top 5: %v", c.q, w, names)
			}
		}
		if c.first != "" && (len(names) == 0 || names[0] != c.first) {
			t.Errorf("%q: want %s first, got %v", c.q, c.first, names)
		}
	}
}

func TestFindOnlyOffersEnabledTools(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{Toolsets: []string{"reports"}})
	hits := e.reg.Find("stuck agents", 10)
	if len(hits) == 0 || hits[0].Name != "list_agent_states" {
		t.Fatalf("stuck agents under --toolsets reports: %v", toolNames(hits))
	}
	for _, h := range hits {
		if h.Toolset != "reports" {
			t.Errorf("%s (%s) is filtered out but was found", h.Name, h.Toolset)
		}
	}
	all := e.reg.Find("", 100)
	if len(all) != len(e.reg.Tools()) || all[0] != e.reg.Tools()[0] {
		t.Errorf("an empty query lists %d tools, want the %d enabled in order", len(all), len(e.reg.Tools()))
	}
	if got := e.reg.Find("", 3); len(got) != 3 {
		t.Errorf("limit 3 gave %d", len(got))
	}
}

func TestFindDropsNoiseAndNonsense(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	if hits := e.reg.Find("the of and is", 10); len(hits) != 0 {
		t.Errorf("stop words alone matched %v", toolNames(hits))
	}
	if hits := e.reg.Find("xylophone quasar", 10); len(hits) != 0 {
		t.Errorf("unknown words matched %v", toolNames(hits))
	}
	// Only tools about the question: a single strong answer is not padded
	// with tools sharing one common word.
	if hits := e.reg.Find("transcript", 10); len(hits) > 3 {
		t.Errorf("transcript matched %d tools: %v", len(hits), toolNames(hits))
	}
}

// TestUnknownToolSuggestsTheNearestName: a call by a name spelt nearly
// right is refused with the intended tool suggested first.
func TestUnknownToolSuggestsTheNearestName(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	for name, want := range map[string]string{
		"list_agent_state":  "list_agent_states",
		"ListAgentState":    "list_agent_states",
		"reset_usr_status":  "reset_user_status",
		"list_call_records": "list_call_detail_records",
		"get_transcript":    "get_conversation_detail_by_contact_id",
	} {
		_, err := e.reg.Invoke(context.Background(), tools.Invocation{Principal: alice, Tool: name})
		var te *tools.Error
		if !errors.As(err, &te) || te.Kind != tools.KindUnknownTool {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.Contains(te.Message, "did you mean "+want) {
			t.Errorf("%s: want %s suggested first: %s", name, want, te.Message)
		}
	}
	if n := e.sim.Count("ListAgentStates") + e.sim.Count("ResetUserStatus"); n != 0 {
		t.Errorf("an unknown name reached CCC %d times", n)
	}
}

func toolNames(ts []*tools.Tool) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// BenchmarkFind measures one search of the catalog (the index is built
// once per process, before the timer).
func BenchmarkFind(b *testing.B) {
	srv, err := sim.Start("127.0.0.1:0", sim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	client, err := ccc.New(ccc.Config{Endpoint: srv.URL, Credentials: ccc.Credentials{Mode: ccc.CredAccessKey, AccessKeyID: sim.DefaultAccessKeyID, AccessKeySecret: sim.DefaultAccessKeySecret}})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	gate, err := policy.New(policy.Config{Secret: []byte("test-secret-of-at-least-32-bytes!!")})
	if err != nil {
		b.Fatal(err)
	}
	reg, err := tools.New(tools.Config{Client: client, Gate: gate})
	if err != nil {
		b.Fatal(err)
	}
	reg.Find("warm up", 5)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		reg.Find(findCases[i%len(findCases)].q, 10)
	}
}
