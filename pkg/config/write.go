package config

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// WriteYAML writes the effective configuration as YAML, every key present,
// in the order of configs/cellwatch.yaml; what it writes loads back to the
// same Config. Durations are written as "25ms", frequencies without exponent.
func (c *Config) WriteYAML(w io.Writer) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(toNode(reflect.ValueOf(*c))); err != nil {
		return fmt.Errorf("writing config: %w", err)
	}
	return enc.Close()
}

func toNode(v reflect.Value) *yaml.Node {
	scalar := func(tag, val string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: val}
	}
	if v.Type() == durationType {
		return scalar("", formatDuration(time.Duration(v.Int())))
	}
	switch v.Kind() {
	case reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode}
		for i := range v.NumField() {
			tag := v.Type().Field(i).Tag.Get("mapstructure")
			if tag == "" {
				continue
			}
			n.Content = append(n.Content, scalar("", tag), toNode(v.Field(i)))
		}
		return n
	case reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		if v.Type().Elem().Kind() != reflect.Struct || v.Len() == 0 {
			n.Style = yaml.FlowStyle // [B20, B8], []
		}
		for i := range v.Len() {
			n.Content = append(n.Content, toNode(v.Index(i)))
		}
		return n
	case reflect.String:
		return scalar("!!str", v.String()) // quoted where YAML would read it otherwise ("00000001")
	case reflect.Bool:
		return scalar("!!bool", strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int64:
		return scalar("!!int", strconv.FormatInt(v.Int(), 10))
	case reflect.Float64:
		return scalar("", strconv.FormatFloat(v.Float(), 'f', -1, 64))
	case reflect.Pointer: // optional values (alerts.zones[].min_power_dbm)
		if v.IsNil() {
			return scalar("!!null", "null")
		}
		return toNode(v.Elem())
	}
	panic(fmt.Sprintf("config: no YAML form for %s", v.Type()))
}

// formatDuration drops the zero units time.Duration.String leaves at the
// end: 1m0s → 1m, 2h0m0s → 2h.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
