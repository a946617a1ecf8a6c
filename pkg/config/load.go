package config

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// Load reads the YAML file at path, applies the CELLWATCH_* variables found
// in env (entries "NAME=value", as from os.Environ; nil means none), and
// validates the result. Keys the file or env leave out take Default()'s
// values; with path "" the result is the built-in demo plus env overrides.
//
// Every problem is reported at once, one per line, each naming the file (or
// the variable) and the key: unknown keys (`cellwatch.yaml: unknown key
// "detect.dwel"`), YAML syntax (`cellwatch.yaml:3: …`), values of the wrong
// type, and everything Validate rejects. Load uses a fresh viper instance per
// call and never watches the file: call it again to reload.
func Load(path string, env []string) (*Config, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	def := reflect.ValueOf(Default()).Elem()
	for _, l := range leaves {
		v.SetDefault(l.key, def.FieldByIndex(l.index).Interface())
	}

	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err // *PathError names the file
		}
		if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
			return nil, yamlError(path, err)
		}
		if unknown := unknownKeys(v.AllSettings(), reflect.TypeFor[Config](), ""); len(unknown) > 0 {
			errs := make([]error, len(unknown))
			for i, k := range unknown {
				errs[i] = fmt.Errorf("%s: unknown key %q", path, k)
			}
			return nil, errors.Join(errs...)
		}
		applyItemDefaults(v)
	}

	if err := applyEnv(v, env); err != nil {
		return nil, err
	}

	var c Config
	if err := v.UnmarshalExact(&c, viper.DecodeHook(decodeHook)); err != nil {
		return nil, prefixLines(path, decodeError(err))
	}
	if path == "" {
		c.Sources = Default().Sources
	}
	if err := c.Validate(); err != nil {
		return nil, prefixLines(path, err)
	}
	return &c, nil
}

// applyItemDefaults fills keys absent (or null) in list items, which viper's
// SetDefault cannot reach. A key that is given keeps its value, even zero, so
// that Validate can reject it.
func applyItemDefaults(v *viper.Viper) {
	if items, ok := v.Get("sources").([]any); ok {
		for _, it := range items {
			m, ok := it.(map[string]any)
			if !ok {
				continue
			}
			switch m["kind"] {
			case KindRTLSDR, KindRTLTCP, KindSim:
				if m["sample_rate"] == nil {
					m["sample_rate"] = DefaultSampleRate
				}
			}
		}
		v.Set("sources", items)
	}
	if items, ok := v.Get("alerts.webhooks").([]any); ok {
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				if m["timeout"] == nil {
					m["timeout"] = DefaultWebhookTimeout
				}
			}
		}
		v.Set("alerts.webhooks", items)
	}
}

// nonConfigEnv are CELLWATCH_* variables that belong to the tools around
// the daemon, not to its configuration.
var nonConfigEnv = map[string]bool{
	"CELLWATCH_CORPUS": true, // test suite: path of the real-recording corpus
}

// applyEnv sets every key whose CELLWATCH_* variable is present and not
// empty, and rejects CELLWATCH_* variables that match no key or whose value
// does not parse.
func applyEnv(v *viper.Viper, env []string) error {
	byName := make(map[string]leaf, len(leaves))
	for _, l := range leaves {
		byName[l.env] = l
	}
	var errs []error
	for _, kv := range env {
		name, val, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		l, ok := byName[name]
		if !ok && nonConfigEnv[name] {
			continue
		}
		if !ok {
			errs = append(errs, fmt.Errorf("environment variable %s matches no configuration key", name))
			continue
		}
		if val == "" {
			continue // as viper: an empty variable is unset
		}
		x, err := parseScalar(l.typ, val)
		if err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s=%q: %v", name, val, err))
			continue
		}
		v.Set(l.key, x)
	}
	return errors.Join(errs...)
}

func parseScalar(t reflect.Type, s string) (any, error) {
	if t == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("not a duration (like 25ms, 30s, 1m)")
		}
		return d, nil
	}
	switch t.Kind() {
	case reflect.String:
		return s, nil
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, errors.New("not a boolean (true or false)")
		}
		return b, nil
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, errors.New("not an integer")
		}
		return n, nil
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, errors.New("not a number")
		}
		return f, nil
	}
	return nil, fmt.Errorf("cannot be set from the environment (type %s)", t)
}

// decodeHook replaces viper's default hooks: durations must be strings with
// a unit (a bare 25 would silently mean 25ns), errors show the value (which
// mapstructure's own duration hook strips), and a fraction given for an
// integer is an error rather than truncated.
var decodeHook = mapstructure.ComposeDecodeHookFunc(
	func(from, to reflect.Type, data any) (any, error) {
		if f, ok := data.(float64); ok && (to.Kind() == reflect.Int || to.Kind() == reflect.Int64) && to != durationType && f != math.Trunc(f) {
			return nil, fmt.Errorf("%v is not a whole number", f)
		}
		if to != durationType || from == durationType {
			return data, nil
		}
		s, ok := data.(string)
		if !ok {
			return nil, fmt.Errorf("%v has no unit (write it like 25ms, 30s, 1m)", data)
		}
		d, err := parseScalar(durationType, s)
		if err != nil {
			return nil, fmt.Errorf("%q is %v", s, err)
		}
		return d, nil
	},
	mapstructure.StringToSliceHookFunc(","),
)

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns viper's "While parsing config: yaml: line 3: …" into
// "cellwatch.yaml:3: …".
func yamlError(path string, err error) error {
	var pe viper.ConfigParseError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		err = pe.Unwrap()
	}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: %s", path, m[1], m[2])
	}
	// "yaml: unmarshal errors:\n  line 2: mapping key …": one line per
	// problem, each as FILE:LINE: message.
	if rest, ok := strings.CutPrefix(msg, "yaml: unmarshal errors:\n"); ok {
		var errs []error
		for _, l := range strings.Split(rest, "\n") {
			l = strings.TrimSpace(l)
			if n, m, ok := strings.Cut(strings.TrimPrefix(l, "line "), ": "); ok && strings.HasPrefix(l, "line ") {
				if m == "cannot unmarshal !!seq into map[string]interface {}" {
					m = "the file must be a mapping of keys (plan:, sources:, …), not a list"
				}
				errs = append(errs, fmt.Errorf("%s:%s: %s", path, n, m))
			} else if l != "" {
				errs = append(errs, fmt.Errorf("%s: %s", path, l))
			}
		}
		return errors.Join(errs...)
	}
	return fmt.Errorf("%s: %s", path, strings.TrimPrefix(msg, "yaml: "))
}

// decodeError rewrites mapstructure's "decoding failed due to the following
// error(s): 'detect.dwell' …" into one line per field: "detect.dwell: …".
func decodeError(err error) error {
	var errs []error
	var walk func(error)
	walk = func(e error) {
		if de, ok := e.(*mapstructure.DecodeError); ok {
			inner := de.Unwrap()
			if hasDecodeError(inner) {
				walk(inner)
				return
			}
			errs = append(errs, fmt.Errorf("%s: %s", de.Name(), describe(inner)))
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		default:
			errs = append(errs, e)
		}
	}
	walk(err)
	return errors.Join(errs...)
}

func hasDecodeError(err error) bool {
	var de *mapstructure.DecodeError
	return errors.As(err, &de)
}

// describe names the offending value where mapstructure's message does not.
func describe(err error) string {
	var pe *mapstructure.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("cannot parse %q as %s", fmt.Sprint(pe.Value), pe.Expected.Type())
	}
	var ue *mapstructure.UnconvertibleTypeError
	if errors.As(err, &ue) {
		return fmt.Sprintf("%v is a %T, want %s", ue.Value, ue.Value, ue.Expected.Type())
	}
	return err.Error()
}

// prefixLines prefixes each of the joined errors in err with name (the
// file); with name "" it returns err as it is.
func prefixLines(name string, err error) error {
	if name == "" || err == nil {
		return err
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return fmt.Errorf("%s: %w", name, err)
	}
	var errs []error
	for _, e := range j.Unwrap() {
		errs = append(errs, fmt.Errorf("%s: %w", name, e))
	}
	return errors.Join(errs...)
}
