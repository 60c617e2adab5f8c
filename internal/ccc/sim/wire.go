package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cccops/cccops/internal/ccc/spec"
)

// apiError is an error answer. Status 200 means a business failure: the body
// then carries Success false next to the code, as CCC does.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errf(status int, code, format string, a ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

func missingParam(name string) *apiError {
	return errf(400, "MissingParameter", "The input parameter %q that is mandatory for processing this request is not supplied.", name)
}

func invalidParam(name, format string, a ...any) *apiError {
	return errf(400, "InvalidParameter", "The parameter %s is not valid: %s", name, fmt.Sprintf(format, a...))
}

func notFound(what, value, instanceID string) *apiError {
	if instanceID == "" {
		return errf(404, "NotExists."+what, "The specified %s %q does not exist.", what, value)
	}
	return errf(404, "NotExists."+what, "The specified %s %q does not exist in instance %s.", what, value, instanceID)
}

// M is a JSON object under construction.
type M = map[string]any

// authParams are protocol parameters, never business parameters.
var authParams = map[string]bool{
	"Action": true, "Version": true, "Format": true, "Timestamp": true, "SignatureMethod": true,
	"SignatureVersion": true, "SignatureType": true, "SignatureNonce": true, "AccessKeyId": true,
	"Signature": true, "RegionId": true, "SecurityToken": true, "BearerToken": true,
}

const maxBody = 8 << 20

// ServeHTTP answers one RPC request as CCC would.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := s.newRequestID()
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		s.writeError(w, r, reqID, "", errf(400, "InvalidParameter", "The request could not be parsed: %v", err))
		return
	}
	params := make(map[string]string, len(r.Form))
	for k, vs := range r.Form {
		if len(vs) > 0 {
			params[k] = vs[len(vs)-1]
		}
	}
	action := params["Action"]
	counted := action
	if spec.MustSpec().Action(action) == nil {
		counted = "(unknown action)" // bounded: any string could come in here
	}
	s.cmu.Lock()
	s.counts[counted]++
	s.cmu.Unlock()

	f := s.pickFault(action)
	if f.Latency > 0 && !s.wait(r.Context(), f.Latency) {
		// The client left, or the simulator is closing: say so rather than
		// answer an empty 200.
		s.writeError(w, r, reqID, action, errf(503, "ServiceUnavailable", "The simulator is shutting down."))
		return
	}
	switch f.kind {
	case faultHang:
		s.wait(r.Context(), f.HangFor)
		s.writeError(w, r, reqID, action, errf(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."))
		return
	case faultUnavailable:
		s.writeError(w, r, reqID, action, errf(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."))
		return
	case faultThrottle:
		s.writeError(w, r, reqID, action, errf(400, "Throttling.User", "Request was denied due to user flow control."))
		return
	}

	if err := s.authenticate(r.Method, params); err != nil {
		s.writeError(w, r, reqID, action, err)
		return
	}
	if v := params["Version"]; v != spec.Version {
		if v == "" {
			s.writeError(w, r, reqID, action, missingParam("Version"))
		} else {
			s.writeError(w, r, reqID, action, errf(400, "InvalidVersion", "Specified parameter Version %q is not valid; this service speaks %s.", v, spec.Version))
		}
		return
	}
	if action == "" {
		s.writeError(w, r, reqID, action, missingParam("Action"))
		return
	}
	act := spec.MustSpec().Action(action)
	h := handlers()[action]
	if act == nil || h == nil {
		s.writeError(w, r, reqID, action, errf(404, "InvalidAction.NotFound", "Specified api %q is not found; check the action name (CCC %s has 89 actions).", action, spec.Version))
		return
	}
	a, verr := parseArgs(act, params)
	if verr != nil {
		s.writeError(w, r, reqID, action, verr)
		return
	}
	body, herr := s.dispatch(act, h, a)
	if herr != nil {
		s.writeError(w, r, reqID, action, herr)
		return
	}
	for k, v := range map[string]any{"RequestId": reqID, "Success": true, "Code": "OK", "HttpStatusCode": 200, "Message": ""} {
		if _, inSpec := act.Response.Properties[k]; inSpec || k == "RequestId" {
			body[k] = v
		}
	}
	s.mu.Lock()
	out := conform(act.Response, body, action, &s.shapeIssues)
	if len(s.shapeIssues) > 100 { // a simulator bug repeated; the first hundred say it
		s.shapeIssues = s.shapeIssues[:100]
	}
	s.mu.Unlock()
	s.log.Debug("ccc sim answered", "action", action, "request_id", reqID)
	writeJSON(w, http.StatusOK, out)
}

func (s *Sim) dispatch(act *spec.Action, h handler, a *args) (body M, err *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("ccc sim handler panicked", "action", act.Name, "panic", fmt.Sprint(p))
			body, err = nil, errf(500, "InternalError", "The simulator failed on %s; this is a bug in the simulator.", act.Name)
		}
	}()
	var in *instance
	if act.Param("InstanceId") != nil {
		id := a.str("InstanceId")
		in = s.byID[id]
		if in == nil {
			return nil, errf(404, "NotExists.InstanceId", "The specified instance %q does not exist. Call ListInstancesOfUser to see the instances.", id)
		}
	}
	return h(s, in, a)
}

func (s *Sim) writeError(w http.ResponseWriter, r *http.Request, reqID, action string, e *apiError) {
	s.log.Info("ccc sim refused", "action", action, "code", e.Code, "status", e.Status, "request_id", reqID)
	if e.Status == http.StatusOK {
		writeJSON(w, 200, M{"RequestId": reqID, "Success": false, "Code": e.Code, "Message": e.Message, "HttpStatusCode": 200})
		return
	}
	writeJSON(w, e.Status, M{"RequestId": reqID, "HostId": r.Host, "Code": e.Code, "Message": e.Message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = 500
		b = []byte(`{"Code":"InternalError","Message":"the simulator could not encode its answer"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Sim) newRequestID() string {
	s.cmu.Lock()
	s.reqSeq++
	n := s.reqSeq
	s.cmu.Unlock()
	x := uint64(s.seed)*0x9E3779B97F4A7C15 ^ n*0xBF58476D1CE4E5B9
	return strings.ToUpper(fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(x>>32), uint16(x>>16), uint16(x)&0xfff, n&0xfff, n))
}

// wait sleeps for d unless the client goes away or the simulator stops; it
// reports whether the full time elapsed.
func (s *Sim) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

type faultKind int

const (
	faultNone faultKind = iota
	faultHang
	faultUnavailable
	faultThrottle
)

type pickedFault struct {
	Faults
	kind faultKind
}

// pickFault spreads each fault share evenly over the request stream: every
// request adds the rate to an accumulator, and the fault fires whenever the
// accumulator reaches one.
func (s *Sim) pickFault(action string) pickedFault {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if len(s.faults.Only) > 0 && !slices.Contains(s.faults.Only, action) {
		return pickedFault{}
	}
	p := pickedFault{Faults: s.faults}
	rates := [3]float64{s.faults.HangRate, s.faults.UnavailableRate, s.faults.ThrottleRate}
	kinds := [3]faultKind{faultHang, faultUnavailable, faultThrottle}
	for i, rate := range rates {
		if rate <= 0 {
			continue
		}
		s.accs[i] += min(rate, 1)
		if s.accs[i] >= 1-1e-9 && p.kind == faultNone {
			s.accs[i] -= 1
			p.kind = kinds[i]
		}
	}
	return p
}

// args are the validated business parameters of one request.
type args struct {
	act  *spec.Action
	vals map[string]string
	arrs map[string][]string
}

func parseArgs(act *spec.Action, params map[string]string) (*args, *apiError) {
	a := &args{act: act, vals: map[string]string{}, arrs: map[string][]string{}}
	for _, p := range act.Params {
		if p.Type == "array" {
			if _, flat := params[p.Name]; flat {
				return nil, invalidParam(p.Name, "it is a list and must be sent as %s.1, %s.2, …", p.Name, p.Name)
			}
			var list []string
			for i := 1; ; i++ {
				v, ok := params[p.Name+"."+strconv.Itoa(i)]
				if !ok {
					break
				}
				if p.Items == "integer" {
					if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
						return nil, invalidParam(p.Name+"."+strconv.Itoa(i), "it must be an integer, got %q", v)
					}
				}
				list = append(list, v)
			}
			if len(list) == 0 && p.Required {
				return nil, missingParam(p.Name)
			}
			if len(list) > 0 {
				a.arrs[p.Name] = list
			}
			continue
		}
		if _, listed := params[p.Name+".1"]; listed {
			return nil, invalidParam(p.Name, "it takes a single value, not a list %s.1, %s.2, …", p.Name, p.Name)
		}
		v, ok := params[p.Name]
		if !ok || (v == "" && p.Type != "string") || (strings.TrimSpace(v) == "" && p.Required) {
			if p.Required {
				return nil, missingParam(p.Name)
			}
			continue
		}
		switch p.Type {
		case "integer":
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return nil, invalidParam(p.Name, "it must be an integer, got %q", v)
			}
			if p.Maximum != nil && n > *p.Maximum {
				return nil, invalidParam(p.Name, "it must be at most %d, got %d", *p.Maximum, n)
			}
			switch p.Name {
			case "PageNumber":
				if n < 1 {
					return nil, invalidParam(p.Name, "pages are numbered from 1, got %d", n)
				}
			case "PageSize":
				if n < 1 || n > 100 {
					return nil, invalidParam(p.Name, "it must be between 1 and 100, got %d", n)
				}
			}
		case "boolean":
			if _, err := strconv.ParseBool(strings.TrimSpace(v)); err != nil || !(strings.EqualFold(v, "true") || strings.EqualFold(v, "false")) {
				return nil, invalidParam(p.Name, "it must be true or false, got %q", v)
			}
		}
		a.vals[p.Name] = v
	}
	return a, nil
}

func (a *args) has(name string) bool {
	_, ok := a.vals[name]
	if !ok {
		_, ok = a.arrs[name]
	}
	return ok
}

func (a *args) str(name string) string { return strings.TrimSpace(a.vals[name]) }

func (a *args) int(name string, def int64) int64 {
	v, ok := a.vals[name]
	if !ok {
		return def
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n
}

func (a *args) bool(name string, def bool) bool {
	v, ok := a.vals[name]
	if !ok {
		return def
	}
	return strings.EqualFold(strings.TrimSpace(v), "true")
}

func (a *args) list(name string) []string { return a.arrs[name] }

func (a *args) ints(name string) []int64 {
	var out []int64
	for _, v := range a.arrs[name] {
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		out = append(out, n)
	}
	return out
}

// business returns the request's non-protocol parameters, arrays flattened
// the way they came.
func (a *args) business() map[string]string {
	out := map[string]string{}
	for k, v := range a.vals {
		if !authParams[k] {
			out[k] = v
		}
	}
	for k, vs := range a.arrs {
		for i, v := range vs {
			out[k+"."+strconv.Itoa(i+1)] = v
		}
	}
	return out
}

// page returns PageNumber and PageSize with defaults.
func (a *args) page() (int, int) {
	return int(a.int("PageNumber", 1)), int(a.int("PageSize", 20))
}

// pageOf slices a list for a page.
func pageOf[T any](list []T, pageNumber, pageSize int) []T {
	start := (pageNumber - 1) * pageSize
	if start >= len(list) || start < 0 {
		return []T{}
	}
	end := min(start+pageSize, len(list))
	return list[start:end]
}
