package configs

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/agnivade/levenshtein"
)

// EnvConfig names the optional YAML file; it is read by the command, not a
// Config field.
const EnvConfig = "BCS_CONFIG"

// toolPrefixes are BCS_ variables read by the test suite and benchmarks, not
// by the product; they may be set in a developer's shell.
var toolPrefixes = []string{"BCS_TEST_", "BCS_BENCH_"}

// EnvNames returns every environment variable the product reads: the env tag
// of each Config field, and BCS_CONFIG.
func EnvNames() []string {
	names := []string{EnvConfig}
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		if name := t.Field(i).Tag.Get("env"); name != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// UnknownEnv returns a problem for each BCS_ variable in environ (as from
// os.Environ) that the product does not read, with the closest known name
// when one is near: a misspelt setting must not be silently ignored.
func UnknownEnv(environ []string) []string {
	known := EnvNames()
	isKnown := map[string]bool{}
	for _, n := range known {
		isKnown[n] = true
	}
	var p []string
	seen := map[string]bool{}
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "BCS_") || isKnown[name] || seen[name] || isToolVar(name) {
			continue
		}
		seen[name] = true
		msg := fmt.Sprintf("unknown setting %s", name)
		if near := nearest(name, known); near != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", near)
		}
		p = append(p, msg)
	}
	sort.Strings(p)
	return p
}

func isToolVar(name string) bool {
	for _, pre := range toolPrefixes {
		if strings.HasPrefix(name, pre) {
			return true
		}
	}
	return false
}

// nearest returns the known name closest to name, or "" when none is close:
// the same letters with underscores moved or dropped, or a few letters off.
func nearest(name string, known []string) string {
	squash := func(s string) string { return strings.ReplaceAll(strings.ToUpper(s), "_", "") }
	best, bestDist := "", 0
	for _, k := range known {
		if squash(k) == squash(name) {
			return k
		}
		d := levenshtein.ComputeDistance(strings.ToUpper(name), k)
		if best == "" || d < bestDist {
			best, bestDist = k, d
		}
	}
	// Allow about one edit in four letters of what follows BCS_.
	if bestDist <= max(1, (len(name)-len("BCS_"))/4) {
		return best
	}
	return ""
}

// EnvFrom returns a getenv over environ (KEY=value entries); the last entry
// of a key wins, as in the process environment.
func EnvFrom(environ []string) func(string) string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}
