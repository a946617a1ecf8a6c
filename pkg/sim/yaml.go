package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load returns the built-in scene called nameOrPath, or else the scene in
// the YAML file at that path (a name containing a path separator or ending
// in .yaml/.yml is always a file).
func Load(nameOrPath string) (*Scene, error) {
	if _, ok := builtins[nameOrPath]; ok && !looksLikeFile(nameOrPath) {
		return Builtin(nameOrPath)
	}
	if !looksLikeFile(nameOrPath) {
		return nil, fmt.Errorf("sim: no built-in scene %q (have %v) and it is not a .yaml file", nameOrPath, BuiltinNames())
	}
	return LoadFile(nameOrPath)
}

func looksLikeFile(s string) bool {
	return strings.ContainsRune(s, os.PathSeparator) || strings.ContainsRune(s, '/') ||
		strings.HasSuffix(s, ".yaml") || strings.HasSuffix(s, ".yml")
}

// LoadFile reads a scene from a YAML file (format: configs/scenes/*.yaml;
// keys are the snake_case names of the Scene fields, durations Go
// durations such as 300ms, frequencies in Hz). Decoding is strict: an
// unknown key, a value of the wrong type or a value the simulator cannot
// model is an error naming the file, the line or the field, and the value.
func LoadFile(path string) (*Scene, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *PathError names the file
	}
	sc, err := ParseScene(data)
	if err != nil {
		return nil, prefixErr(path, err)
	}
	return sc, nil
}

// ParseScene decodes and validates a YAML scene.
func ParseScene(data []byte) (*Scene, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var sc Scene
	if err := dec.Decode(&sc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty scene")
		}
		return nil, yamlErr(err, data)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document")
	}
	var errs []error
	if sc.Name == "" {
		errs = append(errs, errors.New("name: missing"))
	}
	switch len(sc.Sensors) {
	case 0:
		errs = append(errs, errors.New("sensors: at least one sensor is needed"))
	case 1:
		sc.Sensor, sc.Sensors = sc.Sensors[0], nil
	default:
		sc.Sensor = sc.Sensors[0]
	}
	for i, c := range sc.Cells {
		if c.Name == "" || c.W <= 0 || c.H <= 0 {
			errs = append(errs, fmt.Errorf("cells[%d] (%q): want a name and w, h > 0 (got w %g, h %g)", i, c.Name, c.W, c.H))
		}
	}
	for i, w := range sc.Walls {
		if w.LossDB < 0 || w.LossDB > 80 || w.X1 == w.X2 && w.Y1 == w.Y2 {
			errs = append(errs, fmt.Errorf("walls[%d]: want two distinct ends and loss_db in 0…80 (got %g)", i, w.LossDB))
		}
	}
	if sc.PathLossExponent < 0 || sc.PathLossExponent > 6 {
		errs = append(errs, fmt.Errorf("path_loss_exponent: %g outside 0…6", sc.PathLossExponent))
	}
	if sc.ShadowingDB < 0 || sc.ShadowingDB > 20 {
		errs = append(errs, fmt.Errorf("shadowing_db: %g outside 0…20", sc.ShadowingDB))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return &sc, nil
}

var (
	reUnknown = regexp.MustCompile(`line (\d+): field (\S+) not found in type sim\.(\w+)`)
	reType    = regexp.MustCompile("^line (\\d+): cannot unmarshal !!\\w+ `(.*)` into (\\S+)$")
	sections  = map[string]string{"Scene": "the scene", "Sensor": "a sensors entry", "Cell": "a cells entry",
		"Wall": "a walls entry", "Phone": "a phones entry", "Activity": "a schedule entry", "Chirper": "a chirpers entry",
		"Carrier": "a carriers entry", "Tetra": "a tetras entry", "Event": "an events entry"}
)

// yamlErr rewrites yaml.v3's messages in the scene's own terms, naming the
// key of a value of the wrong type.
func yamlErr(err error, data []byte) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root) // it decoded once already
	errs := make([]error, len(te.Errors))
	for i, e := range te.Errors {
		if m := reUnknown.FindStringSubmatch(e); m != nil {
			errs[i] = fmt.Errorf("line %s: unknown key %q in %s", m[1], m[2], sections[m[3]])
			continue
		}
		if m := reType.FindStringSubmatch(e); m != nil {
			if key := keyAt(&root, m[1], m[2], ""); key != "" {
				want := map[string]string{"float64": "a number", "int": "a whole number", "int64": "a whole number",
					"bool": "true or false", "time.Duration": "a duration such as 300ms or 10s", "string": "a string"}[m[3]]
				if want == "" {
					want = strings.ReplaceAll(m[3], "sim.", "")
				}
				errs[i] = fmt.Errorf("line %s: %s: %q is not %s", m[1], key, m[2], want)
				continue
			}
		}
		errs[i] = errors.New(strings.ReplaceAll(e, "sim.", ""))
	}
	return errors.Join(errs...)
}

// keyAt finds the path (phones[0].freq_hz) of the scalar with the given
// line and value under n.
func keyAt(n *yaml.Node, line, value, path string) string {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if k := keyAt(c, line, value, path); k != "" {
				return k
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			if k := keyAt(n.Content[i+1], line, value, p); k != "" {
				return k
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if k := keyAt(c, line, value, fmt.Sprintf("%s[%d]", path, i)); k != "" {
				return k
			}
		}
	case yaml.ScalarNode:
		if fmt.Sprint(n.Line) == line && n.Value == value {
			return path
		}
	}
	return ""
}

// prefixErr puts "path: " before every line of err.
func prefixErr(path string, err error) error {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = path + ": " + strings.TrimPrefix(l, "yaml: ")
	}
	return errors.New(strings.Join(lines, "\n"))
}
