package ccc

import (
	"fmt"
	"os"
	"strings"
)

// credentialVars are the environment variables CredentialsFromEnv reads.
var credentialVars = []string{
	"CCC_BEARER_TOKEN",
	"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
	"ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_ROLE_SESSION_NAME",
	"ALIBABA_CLOUD_ECS_METADATA", "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_CREDENTIALS_URI",
}

// CredentialVarsSet names the credential variables that are set (not
// empty), in lookup order. Only names: never their values.
func CredentialVarsSet() []string {
	var out []string
	for _, k := range credentialVars {
		if os.Getenv(k) != "" {
			out = append(out, k)
		}
	}
	return out
}

// CheckCredentialEnv reports credentials set by half, which
// CredentialsFromEnv would otherwise pass over in silence (and fall back to
// the simulator, or to another kind of credentials): an AccessKey id
// without its secret or the reverse, an STS token or a role without the
// AccessKey pair, a role session name without a role, or two kinds at once
// (a bearer token and an AccessKey pair). The error says what to set or
// unset; it names variables, never values.
func CheckCredentialEnv() error {
	set := map[string]bool{}
	for _, k := range CredentialVarsSet() {
		set[k] = true
	}
	id, secret := set["ALIBABA_CLOUD_ACCESS_KEY_ID"], set["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
	var problems []string
	switch {
	case id && !secret:
		problems = append(problems, "ALIBABA_CLOUD_ACCESS_KEY_ID is set without ALIBABA_CLOUD_ACCESS_KEY_SECRET: set the secret too, or unset the id")
	case secret && !id:
		problems = append(problems, "ALIBABA_CLOUD_ACCESS_KEY_SECRET is set without ALIBABA_CLOUD_ACCESS_KEY_ID: set the id too, or unset the secret")
	}
	for _, k := range []string{"ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_ROLE_ARN"} {
		if set[k] && !(id && secret) {
			problems = append(problems, k+" is used only with ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET: set the pair, or unset "+k)
		}
	}
	if set["ALIBABA_CLOUD_ROLE_SESSION_NAME"] && !set["ALIBABA_CLOUD_ROLE_ARN"] {
		problems = append(problems, "ALIBABA_CLOUD_ROLE_SESSION_NAME is set without ALIBABA_CLOUD_ROLE_ARN: set the role, or unset the session name")
	}
	var kinds []string
	if set["CCC_BEARER_TOKEN"] {
		kinds = append(kinds, "CCC_BEARER_TOKEN")
	}
	if id || secret {
		kinds = append(kinds, "ALIBABA_CLOUD_ACCESS_KEY_*")
	}
	if set["ALIBABA_CLOUD_ECS_METADATA"] {
		kinds = append(kinds, "ALIBABA_CLOUD_ECS_METADATA")
	}
	if len(kinds) > 1 {
		problems = append(problems, fmt.Sprintf("%s are all set, and only one kind of credentials is used: unset all but one", strings.Join(kinds, " and ")))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("credentials in the environment are incomplete or conflicting: %s", strings.Join(problems, "; "))
}
