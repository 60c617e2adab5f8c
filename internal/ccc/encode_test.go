package ccc

import (
	"reflect"
	"testing"
)

func TestEncodeArraysAndUnset(t *testing.T) {
	p, err := Encode(&ResetUserStatusRequest{InstanceId: Ptr("i-1"), RamIdList: []int64{111, 222, 333}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"InstanceId": "i-1", "RamIdList.1": "111", "RamIdList.2": "222", "RamIdList.3": "333"}
	if !reflect.DeepEqual(p.Query, want) || len(p.Body) != 0 {
		t.Fatalf("query %v body %v, want query %v", p.Query, p.Body, want)
	}
	// No RamIdList: nothing named RamIdList is sent (CCC then resets every abnormal agent).
	p, _ = Encode(&ResetUserStatusRequest{InstanceId: Ptr("i-1")})
	if !reflect.DeepEqual(p.Query, map[string]string{"InstanceId": "i-1"}) {
		t.Fatalf("unset array was sent: %v", p.Query)
	}
}

func TestEncodeMixedArrays(t *testing.T) {
	p, err := Encode(&AddBulkPhoneNumbersRequest{
		InstanceId:   Ptr("i-1"),
		PhoneNumber:  []string{"+8657100000001", "+8657100000002"},
		SkillGroupId: []string{"sg-1"},
		Usage:        Ptr("Bidirection"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"InstanceId": "i-1", "PhoneNumber.1": "+8657100000001", "PhoneNumber.2": "+8657100000002",
		"SkillGroupId.1": "sg-1", "Usage": "Bidirection",
	}
	if !reflect.DeepEqual(p.Query, want) {
		t.Fatalf("got %v, want %v", p.Query, want)
	}
}

func TestEncodeBodyPlacement(t *testing.T) {
	p, err := Encode(&CreateContactFlowRequest{
		InstanceId: Ptr("i-1"), Name: Ptr("main"), Type: Ptr("MAIN_FLOW"),
		Canvas: Ptr(`{"cells":[]}`), Content: Ptr(`{"start":"a"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Body, map[string]string{"Canvas": `{"cells":[]}`, "Content": `{"start":"a"}`}) {
		t.Fatalf("body %v", p.Body)
	}
	if _, ok := p.Query["Canvas"]; ok {
		t.Fatal("Canvas leaked into the query")
	}
	if !reflect.DeepEqual(p.Query, map[string]string{"InstanceId": "i-1", "Name": "main", "Type": "MAIN_FLOW"}) {
		t.Fatalf("query %v", p.Query)
	}
}

func TestEncodeZeroValuesAreSent(t *testing.T) {
	// Set-but-zero is not unset: 0, false and "" go on the wire.
	p, err := Encode(&ListPhoneNumbersRequest{InstanceId: Ptr(""), OutboundOnly: Ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Query, map[string]string{"InstanceId": "", "OutboundOnly": "false"}) {
		t.Fatalf("query %v", p.Query)
	}
	p, _ = Encode(&ModifySkillGroupOutboundNumbersRequest{OperationType: Ptr(int64(0)), OutboundPhoneNumberId: []string{"n1"}})
	if p.Query["OperationType"] != "0" {
		t.Fatalf("OperationType 0 not sent: %v", p.Query)
	}
	p, _ = Encode(&ListAgentEventsRequest{InstanceId: Ptr("i"), RamId: []string{"1"}, StartTime: Ptr(int64(1700000000000))})
	if p.Query["StartTime"] != "1700000000000" || p.Query["RamId.1"] != "1" {
		t.Fatalf("query %v", p.Query)
	}
}

func TestEncodeRejectsNonPointer(t *testing.T) {
	var r *GetUserRequest
	if _, err := Encode(r); err == nil {
		t.Fatal("nil request encoded")
	}
}

func TestMayBeFailure(t *testing.T) {
	for body, want := range map[string]bool{
		`{"Success":true,"Code":"OK"}`:              false,
		`{"Data":{"Ready":false},"Success":true}`:   false,
		`{"Success" :  false,"Code":"X"}`:           true,
		"{\"Code\":\"X\",\n \"Success\":\n\tfalse}": true,
		`{"Data":{"Success":false},"Success":true}`: true, // decoded, then judged by the top level
		`not json`: true,
		``:         true,
	} {
		if got := mayBeFailure([]byte(body)); got != want {
			t.Errorf("mayBeFailure(%q) = %v, want %v", body, got, want)
		}
	}
}
