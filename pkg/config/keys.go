package config

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

var durationType = reflect.TypeFor[time.Duration]()

// leaf is one scalar key outside lists ("detect.dwell"), where it lives in
// Config and the environment variable that overrides it.
type leaf struct {
	key   string
	env   string
	typ   reflect.Type
	index []int
}

// leaves lists every scalar key of Config in declaration order. List-valued
// keys (sources, alerts.webhooks) are not leaves: they are neither defaulted
// nor settable from the environment.
var leaves = collectLeaves(reflect.TypeFor[Config](), "", nil)

func collectLeaves(t reflect.Type, prefix string, index []int) []leaf {
	var out []leaf
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		if tag == "" {
			continue
		}
		key := joinKey(prefix, tag)
		idx := append(slices.Clone(index), i)
		switch {
		case f.Type.Kind() == reflect.Struct:
			out = append(out, collectLeaves(f.Type, key, idx)...)
		case f.Type.Kind() == reflect.Slice:
			// lists are not leaves
		default:
			out = append(out, leaf{key: key, env: envName(key), typ: f.Type, index: idx})
		}
	}
	return out
}

// EnvPrefix starts every environment variable that overrides a key.
const EnvPrefix = "CELLWATCH_"

// envName maps a key to its variable: detect.dwell → CELLWATCH_DETECT_DWELL.
func envName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// fieldByKey finds the struct field tagged key (case-insensitively, as viper
// lower-cases keys).
func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if strings.EqualFold(f.Tag.Get("mapstructure"), key) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// unknownKeys returns the keys of m (viper's settings, nested maps) that
// match no field of t, as full paths: "detect.dwel", "sources[0].serail".
func unknownKeys(m map[string]any, t reflect.Type, prefix string) []string {
	var out []string
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		path := joinKey(prefix, k)
		f, ok := fieldByKey(t, k)
		if !ok {
			out = append(out, path)
			continue
		}
		switch ft := f.Type; {
		case ft.Kind() == reflect.Struct:
			if sub, ok := m[k].(map[string]any); ok {
				out = append(out, unknownKeys(sub, ft, path)...)
			}
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			items, _ := m[k].([]any)
			for i, it := range items {
				if sub, ok := it.(map[string]any); ok {
					out = append(out, unknownKeys(sub, ft.Elem(), path+"["+strconv.Itoa(i)+"]")...)
				}
			}
		}
	}
	return out
}
