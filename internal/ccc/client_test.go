package ccc

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testKeyID  = "LTAItestkeyid"
	testSecret = "test-secret-do-not-leak"
	testBearer = "bearer-token-do-not-leak"
)

// wire is a test double of CCC on 127.0.0.1 that records what the SDK
// really sent and verifies its signature.
type wire struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	got    []url.Values // query+form of each request
	forms  []url.Values // form (body) only
	hits   atomic.Int64
	answer func(n int64, v url.Values) (int, string)
}

func newWire(t *testing.T, answer func(n int64, v url.Values) (int, string)) *wire {
	w := &wire{t: t, answer: answer}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *wire) endpoint() string { return w.srv.URL } // http://127.0.0.1:port

func (w *wire) serve(rw http.ResponseWriter, r *http.Request) {
	n := w.hits.Add(1)
	if err := r.ParseForm(); err != nil {
		http.Error(rw, err.Error(), 400)
		return
	}
	all := url.Values{}
	for k, v := range r.URL.Query() {
		all[k] = v
	}
	for k, v := range r.PostForm {
		all[k] = v
	}
	w.mu.Lock()
	w.got = append(w.got, all)
	w.forms = append(w.forms, r.PostForm)
	w.mu.Unlock()
	status, body := 200, `{"RequestId":"req-ok","Success":true,"Code":"OK","HttpStatusCode":200}`
	if w.answer != nil {
		status, body = w.answer(n, all)
	}
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	io.WriteString(rw, body)
}

func (w *wire) last() url.Values {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.got[len(w.got)-1]
}

func percentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// rpcSignature computes Alibaba's RPC signature (HMAC-SHA1, version 1.0)
// independently of the SDK.
func rpcSignature(method string, v url.Values, secret string) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = percentEncode(k) + "=" + percentEncode(v.Get(k))
	}
	sts := method + "&" + percentEncode("/") + "&" + percentEncode(strings.Join(parts, "&"))
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(sts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func akClient(t *testing.T, ep string, mut ...func(*Config)) *Client {
	cfg := Config{Endpoint: ep, Credentials: Credentials{Mode: CredAccessKey, AccessKeyID: testKeyID, AccessKeySecret: testSecret}, BaseBackoff: time.Millisecond}
	for _, m := range mut {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestWireAccessKeySignatureAndParams(t *testing.T) {
	w := newWire(t, nil)
	c := akClient(t, w.endpoint())
	_, err := c.Call(context.Background(), &ResetUserStatusRequest{InstanceId: Ptr("ccc-1"), RamIdList: []int64{101, 102}})
	if err != nil {
		t.Fatal(err)
	}
	v := w.last()
	for k, want := range map[string]string{
		"Action": "ResetUserStatus", "Version": "2017-07-05", "SignatureMethod": "HMAC-SHA1",
		"SignatureVersion": "1.0", "AccessKeyId": testKeyID, "Format": "JSON",
		"InstanceId": "ccc-1", "RamIdList.1": "101", "RamIdList.2": "102",
	} {
		if got := v.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if v.Get("SignatureNonce") == "" || v.Get("Timestamp") == "" {
		t.Errorf("nonce or timestamp missing: %v", v)
	}
	if got, want := v.Get("Signature"), rpcSignature("POST", v, testSecret); got != want {
		t.Errorf("signature %q, want %q (independent HMAC-SHA1 over query+form)", got, want)
	}
}

func TestWireBodyParamsAreFormAndSigned(t *testing.T) {
	w := newWire(t, nil)
	c := akClient(t, w.endpoint())
	_, err := c.Call(context.Background(), &CreateContactFlowRequest{
		InstanceId: Ptr("ccc-1"), Name: Ptr("night"), Type: Ptr("MAIN_FLOW"),
		Canvas: Ptr(`{"a":1}`), Content: Ptr(`{"b":"x y"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	form := w.forms[len(w.forms)-1]
	w.mu.Unlock()
	if form.Get("Canvas") != `{"a":1}` || form.Get("Content") != `{"b":"x y"}` {
		t.Fatalf("form body %v", form)
	}
	if form.Get("InstanceId") != "" {
		t.Fatal("query parameter sent in the body")
	}
	v := w.last()
	if got, want := v.Get("Signature"), rpcSignature("POST", v, testSecret); got != want {
		t.Errorf("signature over query+body: %q, want %q", got, want)
	}
}

func TestWireBearerToken(t *testing.T) {
	w := newWire(t, nil)
	c, err := New(Config{Endpoint: w.endpoint(), Credentials: Credentials{Mode: CredBearer, BearerToken: testBearer}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call(context.Background(), &ListRealTimeAgentRequest{InstanceId: Ptr("ccc-1")}); err != nil {
		t.Fatal(err)
	}
	v := w.last()
	if v.Get("SignatureType") != "BEARERTOKEN" || v.Get("BearerToken") != testBearer {
		t.Fatalf("bearer mode sent SignatureType=%q BearerToken=%q", v.Get("SignatureType"), v.Get("BearerToken"))
	}
	if v.Get("Action") != "ListRealTimeAgent" {
		t.Fatalf("action %q", v.Get("Action"))
	}
}

func TestErrorsAreTypedAndRetriedOnlyForReads(t *testing.T) {
	throttle := func(n int64, v url.Values) (int, string) {
		return 400, `{"RequestId":"req-t","Code":"Throttling.User","Message":"Request was denied due to user flow control."}`
	}
	w := newWire(t, throttle)
	c := akClient(t, w.endpoint())
	_, err := c.Call(context.Background(), &ListRealTimeAgentRequest{InstanceId: Ptr("ccc-1")})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not *ccc.Error", err, err)
	}
	if e.Code != "Throttling.User" || e.HTTPStatus != 400 || e.RequestID != "req-t" || !e.Retryable {
		t.Fatalf("error fields %+v", e)
	}
	if got := w.hits.Load(); got != 3 {
		t.Fatalf("read action sent %d times, want 3 attempts", got)
	}
	if e.Attempts != 3 {
		t.Fatalf("Attempts=%d", e.Attempts)
	}
	for _, req := range []Request{
		&ResetUserStatusRequest{InstanceId: Ptr("ccc-1")},                                                                            // destructive
		&CreateSkillGroupRequest{InstanceId: Ptr("ccc-1"), Name: Ptr("x")},                                                           // write
		&DialExRequest{InstanceId: Ptr("ccc-1"), Callee: Ptr("1"), Caller: Ptr("2"), RoutPoint: Ptr("r"), AnswerMode: Ptr(int64(0))}, // external
	} {
		before := w.hits.Load()
		if _, err := c.Call(context.Background(), req); err == nil {
			t.Fatalf("%s: no error", req.Action())
		}
		if got := w.hits.Load() - before; got != 1 {
			t.Errorf("%s sent %d times; non-read actions must never be retried", req.Action(), got)
		}
	}
}

func TestRetryRecoversAndServerErrorsRetry(t *testing.T) {
	w := newWire(t, func(n int64, v url.Values) (int, string) {
		if n == 1 {
			return 503, `{"RequestId":"r1","Code":"ServiceUnavailable","Message":"busy"}`
		}
		return 200, `{"RequestId":"r2","Success":true,"Code":"OK","Data":{"User":[]}}`
	})
	c := akClient(t, w.endpoint())
	body, err := c.Call(context.Background(), &ListRealTimeAgentRequest{InstanceId: Ptr("ccc-1")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"r2"`) || w.hits.Load() != 2 {
		t.Fatalf("body %s after %d hits", body, w.hits.Load())
	}
}

func TestSuccessFalseIsAnError(t *testing.T) {
	w := newWire(t, func(int64, url.Values) (int, string) {
		return 200, `{"RequestId":"r3","Success":false,"Code":"NotExists.User","Message":"user 9 not found","HttpStatusCode":200}`
	})
	c := akClient(t, w.endpoint())
	_, err := c.Call(context.Background(), &GetUserRequest{InstanceId: Ptr("ccc-1"), UserId: Ptr("9")})
	var e *Error
	if !errors.As(err, &e) || e.Code != "NotExists.User" || e.RequestID != "r3" || e.Retryable {
		t.Fatalf("got %v (%+v)", err, e)
	}
	if w.hits.Load() != 1 {
		t.Fatalf("a business failure was retried (%d hits)", w.hits.Load())
	}
}

func TestNoSecretInErrors(t *testing.T) {
	// A server that echoes the whole request back in its error message, and a
	// dead endpoint whose transport error would carry the signed URL.
	w := newWire(t, func(_ int64, v url.Values) (int, string) {
		msg, _ := json.Marshal(v.Encode())
		return 400, fmt.Sprintf(`{"RequestId":"r","Code":"InvalidParameter","Message":%s}`, msg)
	})
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	for _, ep := range []string{w.endpoint(), deadURL} {
		for _, cred := range []Credentials{
			{Mode: CredAccessKey, AccessKeyID: testKeyID, AccessKeySecret: testSecret},
			{Mode: CredSTS, AccessKeyID: testKeyID, AccessKeySecret: testSecret, SecurityToken: "sts-token-do-not-leak"},
			{Mode: CredBearer, BearerToken: testBearer},
		} {
			c, err := New(Config{Endpoint: ep, Credentials: cred, MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Call(context.Background(), &GetUserRequest{InstanceId: Ptr("ccc-1"), UserId: Ptr("9")})
			if err == nil {
				t.Fatal("expected an error")
			}
			text := err.Error() + fmt.Sprintf(" %+v %v %#v", err, cred, cred)
			for _, s := range []string{testSecret, testBearer, "sts-token-do-not-leak", "Signature=", "http://"} {
				if strings.Contains(text, s) && !(s == "Signature=" && strings.Contains(text, "Signature=REDACTED")) {
					t.Errorf("%s mode: error text holds %q: %s", cred.Mode, s, text)
				}
			}
		}
	}
}

// hangingServer never answers until the client goes away or the test ends.
func hangingServer(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv
}

func TestContextCancelReturnsAtOnce(t *testing.T) {
	srv := hangingServer(t)
	c := akClient(t, srv.URL, func(c *Config) { c.ReadTimeout = time.Minute })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Call(ctx, &ListRealTimeAgentRequest{InstanceId: Ptr("ccc-1")})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		var e *Error
		if !errors.As(err, &e) || e.Code != "Canceled" {
			t.Fatalf("got %v", err)
		}
	case <-time.After(20 * time.Second): // a generous bound: the read timeout is a minute
		t.Fatal("Call did not return after cancel")
	}
}

func TestReadTimeoutIsTyped(t *testing.T) {
	srv := hangingServer(t)
	c := akClient(t, srv.URL, func(c *Config) { c.ReadTimeout = 100 * time.Millisecond; c.MaxAttempts = 1 })
	_, err := c.Call(context.Background(), &ListRealTimeAgentRequest{InstanceId: Ptr("ccc-1")})
	var e *Error
	if !errors.As(err, &e) || e.Code != "Timeout" || !e.Retryable {
		t.Fatalf("got %v", err)
	}
}

func TestConcurrentCalls(t *testing.T) {
	w := newWire(t, nil)
	c := akClient(t, w.endpoint())
	var wg sync.WaitGroup
	errs := make(chan error, 32*5)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				_, err := c.Call(context.Background(), &GetUserRequest{InstanceId: Ptr("ccc-1"), UserId: Ptr(fmt.Sprint(g))})
				if err != nil {
					errs <- err
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if w.hits.Load() != 160 {
		t.Fatalf("%d requests, want 160", w.hits.Load())
	}
}

func TestEndpointRules(t *testing.T) {
	for ep, ok := range map[string]bool{
		"":                                    true,
		"http://127.0.0.1:9090":               true,
		"http://localhost:9090":               true,
		"https://ccc.example":                 true,
		"ccc.cn-beijing.aliyuncs.com":         true,
		"http://ccc.cn-shanghai.aliyuncs.com": false, // real service over plain HTTP
		"ftp://x":                             false,
	} {
		_, err := New(Config{Endpoint: ep, Credentials: Credentials{Mode: CredAccessKey, AccessKeyID: "a", AccessKeySecret: "b"}})
		if (err == nil) != ok {
			t.Errorf("endpoint %q: err=%v, want ok=%v", ep, err, ok)
		}
	}
	c, _ := New(Config{Credentials: Credentials{Mode: CredBearer, BearerToken: "x"}})
	if c.Endpoint() != "https://ccc.cn-shanghai.aliyuncs.com" {
		t.Fatalf("default endpoint %s", c.Endpoint())
	}
	if _, err := New(Config{Credentials: Credentials{Mode: CredAccessKey, AccessKeyID: "a"}}); err == nil || !strings.Contains(err.Error(), "AccessKeySecret") {
		t.Fatalf("missing secret: %v", err)
	}
}

// TestUnsafeActionsAreNotCalledRetryable: a timeout of an action that is not
// safe to repeat does not invite a retry — it may have run.
func TestUnsafeActionsAreNotCalledRetryable(t *testing.T) {
	srv := hangingServer(t)
	c := akClient(t, srv.URL, func(c *Config) { c.ReadTimeout = 100 * time.Millisecond })
	_, err := c.Call(context.Background(), &DialExRequest{InstanceId: Ptr("ccc-1"), Callee: Ptr("1"), Caller: Ptr("2"), RoutPoint: Ptr("r"), AnswerMode: Ptr(int64(0))})
	var e *Error
	if !errors.As(err, &e) || e.Code != "Timeout" || e.Retryable || !e.MayHaveRun || !strings.Contains(e.Hint(), "before repeating") {
		t.Fatalf("got %+v (hint %q)", e, e.Hint())
	}
	w := newWire(t, func(int64, url.Values) (int, string) {
		return 400, `{"RequestId":"r","Code":"Throttling.User","Message":"slow down"}`
	})
	c = akClient(t, w.endpoint())
	_, err = c.Call(context.Background(), &DialExRequest{InstanceId: Ptr("ccc-1"), Callee: Ptr("1"), Caller: Ptr("2"), RoutPoint: Ptr("r"), AnswerMode: Ptr(int64(0))})
	if !errors.As(err, &e) || !e.Retryable || e.MayHaveRun {
		t.Fatalf("throttled DialEx (refused before any work): %+v", e)
	}
}

// callAtDepth calls c.Call with n more frames of its own above it.
//
//go:noinline
func callAtDepth(c *Client, n int) error {
	if n > 0 {
		return callAtDepth(c, n-1)
	}
	_, err := c.Call(context.Background(), &GetUserRequest{InstanceId: Ptr("ccc-1"), UserId: Ptr("u1")})
	return err
}

// The SDK signs every request with a nonce made from the sending
// goroutine's id, which it reads by formatting that goroutine's whole stack:
// the deeper the caller, the dearer the request. The request is sent from a
// goroutine of its own, so its stack has the same depth however deep Call
// was called from (an MCP handler is about 20 frames deeper than a plain
// caller). The depth is read where net/http asks for the proxy, on the
// goroutine that sends.
func TestSDKRequestRunsOnAShallowStack(t *testing.T) {
	w := newWire(t, nil)
	c := akClient(t, w.endpoint())
	var depth atomic.Int64
	c.transport.Proxy = func(*http.Request) (*url.URL, error) {
		depth.Store(int64(runtime.Callers(0, make([]uintptr, 1024))))
		return nil, nil
	}
	got := map[int]int64{}
	for _, n := range []int{0, 200} {
		if err := callAtDepth(c, n); err != nil {
			t.Fatal(err)
		}
		got[n] = depth.Load()
	}
	if got[0] == 0 || got[0] != got[200] {
		t.Fatalf("the SDK's request ran %d frames deep from a plain caller and %d from 200 frames deeper: it must not depend on the caller", got[0], got[200])
	}
}

// A panic while the SDK sends is raised again in the caller, with its value.
func TestSDKPanicReachesTheCaller(t *testing.T) {
	w := newWire(t, nil)
	c := akClient(t, w.endpoint())
	c.transport.Proxy = func(*http.Request) (*url.URL, error) { panic("proxy exploded") }
	defer func() {
		if p := recover(); p != "proxy exploded" {
			t.Fatalf("recovered %v, want the SDK's panic", p)
		}
	}()
	_ = callAtDepth(c, 0)
	t.Fatal("no panic reached the caller")
}
