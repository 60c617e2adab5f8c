package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"

	"github.com/cccops/cccops/internal/ccc"
)

// fixedNow is the clock of most tests: the seeded data does not depend on
// when the test runs.
var fixedNow = time.Date(2025, 3, 12, 15, 30, 0, 0, time.FixedZone("CST", 8*3600))

func startSim(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	srv, err := Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return srv
}

func newAKClient(t testing.TB, id, secret string) *sdk.Client {
	t.Helper()
	cfg := sdk.NewConfig().WithAutoRetry(false).WithTimeout(20 * time.Second)
	c, err := sdk.NewClientWithOptions("cn-shanghai", cfg, credentials.NewAccessKeyCredential(id, secret))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newTokenClient(t testing.TB, token string) *sdk.Client {
	t.Helper()
	cfg := sdk.NewConfig().WithAutoRetry(false).WithTimeout(20 * time.Second)
	c, err := sdk.NewClientWithOptions("cn-shanghai", cfg, credentials.NewBearerTokenCredential(token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// answer is what a call returned.
type answer struct {
	Status int
	Body   map[string]any
	Raw    string
	Code   string // error code, for failures
}

// send encodes a typed request and sends it through the real SDK.
func send(t testing.TB, c *sdk.Client, addr string, req ccc.Request) answer {
	t.Helper()
	p, err := ccc.Encode(req)
	if err != nil {
		t.Fatal(err)
	}
	return sendRaw(t, c, addr, req.Action(), p.Query, p.Body, 0)
}

func sendRaw(t testing.TB, c *sdk.Client, addr, action string, query, form map[string]string, readTimeout time.Duration) answer {
	t.Helper()
	r := requests.NewCommonRequest()
	r.Method = "POST"
	r.Scheme = "http"
	r.Domain = addr
	r.Product = "CCC"
	r.Version = ccc.Version
	r.ApiName = action
	for k, v := range query {
		r.QueryParams[k] = v
	}
	for k, v := range form {
		r.FormParams[k] = v
	}
	if readTimeout > 0 {
		r.SetReadTimeout(readTimeout)
	}
	resp, err := c.ProcessCommonRequest(r)
	var se *sdkerrors.ServerError
	switch {
	case err == nil:
	case errors.As(err, &se):
		a := answer{Status: se.HttpStatus(), Raw: se.Message(), Code: se.ErrorCode()}
		if resp != nil {
			a.Raw = resp.GetHttpContentString()
			_ = json.Unmarshal([]byte(a.Raw), &a.Body)
		}
		return a
	default:
		return answer{Status: -1, Raw: err.Error(), Code: "client:" + err.Error()}
	}
	a := answer{Status: resp.GetHttpStatus(), Raw: resp.GetHttpContentString()}
	if err := json.Unmarshal([]byte(a.Raw), &a.Body); err != nil {
		t.Fatalf("%s: body is not JSON: %v: %s", action, err, a.Raw)
	}
	if code, _ := a.Body["Code"].(string); code != "OK" {
		a.Code = code
	}
	return a
}

// setField sets the field tagged ccc:"name,…" of a request struct.
func setField(t testing.TB, req ccc.Request, name string, value any) {
	t.Helper()
	v := reflect.ValueOf(req).Elem()
	for i := 0; i < v.NumField(); i++ {
		tag := v.Type().Field(i).Tag.Get("ccc")
		if n, _, _ := strings.Cut(tag, ","); n != name {
			continue
		}
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Pointer:
			p := reflect.New(f.Type().Elem())
			p.Elem().Set(reflect.ValueOf(value).Convert(f.Type().Elem()))
			f.Set(p)
		case reflect.Slice:
			rv := reflect.ValueOf(value)
			s := reflect.MakeSlice(f.Type(), rv.Len(), rv.Len())
			for j := 0; j < rv.Len(); j++ {
				s.Index(j).Set(rv.Index(j).Convert(f.Type().Elem()))
			}
			f.Set(s)
		}
		return
	}
	t.Fatalf("%s has no parameter %s", req.Action(), name)
}

func mustReq(t testing.TB, action string, fields map[string]any) ccc.Request {
	t.Helper()
	req, ok := ccc.NewRequest(action)
	if !ok {
		t.Fatalf("unknown action %s", action)
	}
	for k, v := range fields {
		setField(t, req, k, v)
	}
	return req
}

// get walks a decoded JSON body: get(body, "Data", "User").
func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func items(v any, path ...string) []map[string]any {
	arr, _ := get(v, path...).([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, x := range arr {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func num(v any, path ...string) int64 {
	f, _ := get(v, path...).(float64)
	return int64(f)
}

func str(v any, path ...string) string {
	s, _ := get(v, path...).(string)
	return s
}

func expectOK(t testing.TB, a answer, what string) {
	t.Helper()
	if a.Status != 200 || a.Code != "" {
		t.Fatalf("%s: status %d code %s: %s", what, a.Status, a.Code, a.Raw)
	}
}

func expectErr(t testing.TB, a answer, status int, code string) {
	t.Helper()
	if a.Status != status || a.Code != code {
		t.Fatalf("want %d %s, got %d %s: %s", status, code, a.Status, a.Code, a.Raw)
	}
}

var _ = fmt.Sprint
