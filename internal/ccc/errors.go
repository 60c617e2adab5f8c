package ccc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

// Error is every failure of a CCC call: an error answer of the service
// (non-2xx, or 200 with "Success": false), a transport failure, or a timeout.
// Its text never holds a credential, a signature or a URL.
type Error struct {
	Action     string // the CCC action
	HTTPStatus int    // 0 when no answer arrived
	Code       string // CCC's code, e.g. Throttling.User; ours for transport failures: Timeout, Canceled, Network
	Message    string
	RequestID  string
	Retryable  bool // a later attempt of the same call may succeed and is safe
	Attempts   int  // how many times the call was sent
	// MayHaveRun is set when a call that is not safe to repeat (a write,
	// destructive or external action) failed without a clear answer — a
	// timeout, a lost connection or a 5xx: CCC may have carried it out.
	MayHaveRun bool
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CCC %s failed: %s", e.Action, e.Code)
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	var meta []string
	if e.HTTPStatus != 0 {
		meta = append(meta, fmt.Sprintf("HTTP %d", e.HTTPStatus))
	}
	if e.RequestID != "" {
		meta = append(meta, "RequestId "+e.RequestID)
	}
	if e.Attempts > 1 {
		meta = append(meta, fmt.Sprintf("%d attempts", e.Attempts))
	}
	if len(meta) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(meta, ", "))
	}
	return b.String()
}

// Hint says what a user can do next about this error, or "".
func (e *Error) Hint() string {
	if e.MayHaveRun {
		return "CCC may already have carried this out; check the current state with a read tool before repeating it"
	}
	switch {
	case e.Code == "MissingParameter" || strings.HasPrefix(e.Code, "MissingParameter"):
		return "add the missing parameter named in the message"
	case strings.HasPrefix(e.Code, "InvalidParameter"):
		return "correct the parameter named in the message; the tool's parameter list gives the allowed values"
	case strings.HasPrefix(e.Code, "Throttling"):
		return "CCC is throttling this account; wait a few seconds and try again"
	case strings.HasPrefix(e.Code, "Forbidden"):
		return "the RAM identity lacks permission for this action; ask an administrator to grant it"
	case strings.HasPrefix(e.Code, "InvalidAccessKeyId"), strings.HasPrefix(e.Code, "SignatureDoesNotMatch"), strings.HasPrefix(e.Code, "InvalidBearerToken"):
		return "the configured Alibaba Cloud credentials were rejected; check them"
	case e.Code == "Timeout":
		return "CCC did not answer in time; try again, or raise the read timeout"
	case e.Code == "Network":
		return "CCC could not be reached; check the endpoint and network"
	case e.NotFound():
		return "the named object does not exist; list it first to find a valid id"
	}
	return ""
}

// NotFound says whether CCC answered that an object the call named does not
// exist (NotExists.UserId, NotFound.SkillGroupId, …).
func (e *Error) NotFound() bool {
	c := strings.ToLower(e.Code)
	return strings.Contains(c, "notfound") || strings.Contains(c, "notexist")
}

// NotFoundParam names the parameter whose object does not exist, when the
// code says which (NotExists.UserId → UserId); "" otherwise.
func (e *Error) NotFoundParam() string {
	if !e.NotFound() {
		return ""
	}
	_, param, ok := strings.Cut(e.Code, ".")
	if !ok || strings.Contains(strings.ToLower(param), "notfound") || strings.Contains(strings.ToLower(param), "notexist") {
		return ""
	}
	return param
}

// IsRetryableCode says whether a CCC error code is worth another attempt.
func IsRetryableCode(status int, code string) bool {
	return strings.HasPrefix(code, "Throttling") || code == "ServiceUnavailable" ||
		code == "Timeout" || code == "Network" || status >= 500
}

// secretParam matches a credential-looking parameter; compiled on the first
// error scrubbed, not at every start.
var secretParam = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(Signature|BearerToken|SecurityToken|AccessKeySecret|AccessKeyId)=[^&\s"]*`)
})

// scrub removes credential-looking parameters and known secret values.
func scrub(s string, secrets []string) string {
	s = secretParam().ReplaceAllString(s, "$1=REDACTED")
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "REDACTED")
		}
	}
	return s
}

// toError turns whatever the SDK returned into *Error, without the URL the
// SDK puts in transport errors (it carries the signature and tokens).
func toError(ctx context.Context, action string, err error, secrets []string) *Error {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		e := &Error{Action: action, HTTPStatus: se.HttpStatus(), Code: se.ErrorCode(), Message: scrub(se.Message(), secrets), RequestID: se.RequestId()}
		if e.Code == "" {
			e.Code = fmt.Sprintf("HTTP%d", e.HTTPStatus)
		}
		e.Retryable = IsRetryableCode(e.HTTPStatus, e.Code)
		return e
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return &Error{Action: action, Code: "Timeout", Message: "the call's deadline passed before CCC answered"}
		}
		return &Error{Action: action, Code: "Canceled", Message: "the call was canceled"}
	}
	var ue *url.Error
	inner := err
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || strings.Contains(err.Error(), "Client.Timeout") {
		return &Error{Action: action, Code: "Timeout", Message: "CCC did not answer within the read timeout", Retryable: true}
	}
	msg := inner.Error()
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) {
		msg = ce.Message()
		if oe := ce.OriginError(); oe != nil {
			if errors.As(oe, &ue) {
				msg = ue.Err.Error()
			} else {
				msg = oe.Error()
			}
		}
	}
	return &Error{Action: action, Code: "Network", Message: scrub(msg, secrets), Retryable: true}
}
