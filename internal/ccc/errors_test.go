package ccc

import "testing"

func TestNotFoundParamNamesTheParameterOnlyWhenTheCodeDoes(t *testing.T) {
	for code, want := range map[string]string{
		"NotExists.UserId":         "UserId",
		"NotFound.SkillGroupId":    "SkillGroupId",
		"InvalidAction.NotFound":   "", // the action, not a parameter
		"NotExists":                "",
		"InvalidParameter.UserId":  "",
		"Throttling.User":          "",
		"HTTP404":                  "",
		"Forbidden.NotExistsInRam": "",
	} {
		e := &Error{Code: code}
		if got := e.NotFoundParam(); got != want {
			t.Errorf("%s: NotFoundParam() = %q, want %q", code, got, want)
		}
		if want != "" && !e.NotFound() {
			t.Errorf("%s: NotFound() = false", code)
		}
	}
}
