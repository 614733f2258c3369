package configs

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func asError(err error, target **Error) bool { return errors.As(err, target) }

func TestUnknownEnv(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"none", []string{"HOME=/root", "BCS_HTTP_ADDR=127.0.0.1:8080", "BCS_CONFIG=bcs.yaml"}, nil},
		{"underscore dropped", []string{"BCS_WECOM_CORPID=ww1"},
			[]string{"unknown setting BCS_WECOM_CORPID (did you mean BCS_WECOM_CORP_ID?)"}},
		{"letters swapped", []string{"BCS_REIDS_ADDR=10.0.0.6:6379"},
			[]string{"unknown setting BCS_REIDS_ADDR (did you mean BCS_REDIS_ADDR?)"}},
		{"a letter missing", []string{"BCS_WECOM_SECRT=x"},
			[]string{"unknown setting BCS_WECOM_SECRT (did you mean BCS_WECOM_SECRET?)"}},
		{"lower case", []string{"BCS_wecom_token=x"},
			[]string{"unknown setting BCS_wecom_token (did you mean BCS_WECOM_TOKEN?)"}},
		{"nothing near", []string{"BCS_FROBNICATE=1"}, []string{"unknown setting BCS_FROBNICATE"}},
		{"the test suite's own", []string{"BCS_TEST_MYSQL_DSN=root@tcp(127.0.0.1:3306)/", "BCS_BENCH_LARGE=1"}, nil},
		{"other programs'", []string{"XBCS_Y=1", "PATH=/bin"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, UnknownEnv(tt.environ)); diff != "" {
				t.Errorf("UnknownEnv (-want +got):\n%s", diff)
			}
		})
	}
}

// Every field's env tag is known, so keys other engineers add are known
// without a list to keep in step.
func TestEnvNamesFollowTheStruct(t *testing.T) {
	names := EnvNames()
	for _, want := range []string{"BCS_CONFIG", "BCS_MODE", "BCS_HTTP_ADDR", "BCS_METRICS_TOKEN", "BCS_WECOM_KF_AES_KEY", "BCS_LOG_LEVEL"} {
		if !slices.Contains(names, want) {
			t.Errorf("EnvNames lacks %s: %v", want, names)
		}
	}
}

// A misspelt variable refuses the start together with what it left missing.
func TestLoadEnvironRefusesTypos(t *testing.T) {
	e := wecomEnv()
	delete(e, "BCS_WECOM_CORP_ID")
	var environ []string
	for k, v := range e {
		environ = append(environ, k+"="+v)
	}
	environ = append(environ, "BCS_WECOM_CORPID=ww0123456789abcdef")
	_, err := LoadEnviron("", environ)
	if err == nil {
		t.Fatal("a misspelt corp id was accepted")
	}
	for _, want := range []string{"did you mean BCS_WECOM_CORP_ID", "BCS_WECOM_CORP_ID is empty"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal lacks %q: %v", want, err)
		}
	}
	// Spelt right, the same environment starts.
	environ[len(environ)-1] = "BCS_WECOM_CORP_ID=ww0123456789abcdef"
	if _, err := LoadEnviron("", environ); err != nil {
		t.Errorf("correct environment refused: %v", err)
	}
}

// The README's configuration table and the example file name every setting,
// so that an operator learns of each one and whether production needs it.
func TestEverySettingDocumented(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("banchengshi.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range EnvNames() {
		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("README.md's configuration table lacks `%s`", name)
		}
	}
	ty := reflect.TypeOf(Config{})
	for i := 0; i < ty.NumField(); i++ {
		key := ty.Field(i).Tag.Get("yaml")
		if !regexp.MustCompile(`(?m)\b` + key + `\b`).Match(example) {
			t.Errorf("banchengshi.example.yaml does not mention %s", key)
		}
	}
}
